/** OpenAI's text-embedding models take 8191 tokens; other servers' models are assumed to take BERT's 512. */
const OPENAI_MAX_TOKENS = 8191;
const OTHER_MAX_TOKENS = 512;

export function openAiMaxTokens(model: string): number {
  return model.startsWith('text-embedding-') ? OPENAI_MAX_TOKENS : OTHER_MAX_TOKENS;
}

/** An estimate, four characters a token: codectx does not ship each remote model's tokenizer. */
export function estimateOpenAiTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
