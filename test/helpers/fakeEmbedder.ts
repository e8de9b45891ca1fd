import { createHash } from 'node:crypto';
import type { EmbeddingProvider } from '../../src/embed/types.js';

/**
 * A deterministic embedder for fast tests of indexing logic: a text's vector is derived from its SHA-256, so
 * equal texts get equal vectors and nothing is loaded. It counts what it was asked to embed.
 */
export class FakeEmbedder implements EmbeddingProvider {
  readonly id = 'fake:sha256-16';
  readonly dimension = 16;
  readonly maxTokens = 256;
  embeddedTexts: string[] = [];
  /** How many texts each embed() call carried. */
  callSizes: number[] = [];
  /** Set to play a provider that wants bigger calls (a remote one sending parallel requests). */
  textsPerCall?: number;

  countTokens(text: string): number {
    return Math.ceil(text.length / 4);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    this.embeddedTexts.push(...texts);
    this.callSizes.push(texts.length);
    return texts.map((text) => {
      const bytes = createHash('sha256').update(text).digest();
      const vector = Float32Array.from({ length: this.dimension }, (_, i) => bytes[i]! - 127.5);
      const norm = Math.hypot(...vector);
      return vector.map((value) => value / norm);
    });
  }

  async close(): Promise<void> {}
}
