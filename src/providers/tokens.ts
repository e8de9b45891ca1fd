/**
 * Token estimate for prompts and answers when a provider does not report usage. LLM tokenizers average about
 * 3.5 characters per token on code and English; rounding up keeps window checks on the safe side.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}
