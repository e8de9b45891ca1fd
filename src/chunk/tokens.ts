/**
 * Token budgets. Chunks must fit the embedding model's input, so sizes are measured in the model's tokens.
 * The default is an estimate, not a tokenizer: measured against the MiniLM WordPiece vocabulary on
 * TypeScript, JavaScript and Python sources, one token per ~2.7 non-indentation characters of a line
 * lands within about ±10% of the real count (indentation costs WordPiece nothing).
 */
export type CountTokens = (text: string) => number;

const CHARS_PER_TOKEN = 2.7;

export function estimateWordPieceTokens(text: string): number {
  if (!text.includes('\n')) return Math.ceil(text.trim().length / CHARS_PER_TOKEN); // the per-line hot path
  let tokens = 0;
  for (const line of text.split('\n')) tokens += Math.ceil(line.trim().length / CHARS_PER_TOKEN);
  return tokens;
}

/** Token counts of line ranges in O(1), from a per-line count computed once per file. */
export class LineCosts {
  private readonly prefix: Float64Array;

  constructor(lines: readonly string[], countTokens: CountTokens) {
    this.prefix = new Float64Array(lines.length + 1);
    for (let i = 0; i < lines.length; i++) this.prefix[i + 1] = this.prefix[i]! + countTokens(lines[i]!);
  }

  /** Tokens of rows first..last (0-based, inclusive). */
  range(first: number, last: number): number {
    if (last < first) return 0;
    return this.prefix[last + 1]! - this.prefix[first]!;
  }
}
