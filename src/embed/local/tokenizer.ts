import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';

/**
 * The model's WordPiece tokenizer. `encode` gives model input ids ([CLS] … [SEP]) cut to the model's sequence
 * limit; `count` gives the number of content tokens, without [CLS]/[SEP], so counts of pieces of a text add up
 * (the chunker sums per-line counts).
 */
const MAX_CHARS_PER_TOKEN = 100;

export class WordPieceTokenizer {
  private readonly sepId: number;

  private constructor(
    private readonly tokenizer: Tokenizer,
    /** Longest input sequence the model takes, [CLS] and [SEP] included. */
    readonly maxSequence: number,
  ) {
    const sep = tokenizer.token_to_id('[SEP]');
    if (sep === undefined) throw new Error('tokenizer has no [SEP] token');
    this.sepId = sep;
  }

  static async load(tokenizerPath: string, maxSequence: number): Promise<WordPieceTokenizer> {
    const json = JSON.parse(await readFile(tokenizerPath, 'utf8')) as object;
    return new WordPieceTokenizer(new Tokenizer(json, { do_lower_case: true }), maxSequence);
  }

  /** Input ids with [CLS] first and [SEP] last, truncated to `maxSequence` (the model's limit). */
  encode(text: string): number[] {
    // Text past the window is cut before tokenizing, so a megabyte query costs what a window costs. WordPiece makes
    // one [UNK] of a word over 100 characters, so the window's tokens fit in maxSequence × 100 characters.
    const window = this.maxSequence * MAX_CHARS_PER_TOKEN;
    const ids = this.tokenizer.encode(text.length > window ? text.slice(0, window) : text).ids;
    if (ids.length <= this.maxSequence) return ids;
    const truncated = ids.slice(0, this.maxSequence);
    truncated[this.maxSequence - 1] = this.sepId;
    return truncated;
  }

  count(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids.length;
  }
}
