/**
 * LLM tokens of a prompt or answer, estimated when a provider does not report usage. LLM tokenizers average
 * about 3.5 characters per token on code and English; rounding up keeps window checks on the safe side. (The
 * embedding model's WordPiece tokens are another count: chunk/tokens.ts.)
 */
export function estimatePromptTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}
