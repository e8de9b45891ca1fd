import { createHash } from 'node:crypto';
import { createChunker, type Chunker } from '../chunk/chunker.js';
import type { Chunk } from '../chunk/types.js';
import type { CodectxConfig } from '../config/config.js';
import { createTokenCounter } from '../embed/index.js';
import type { StoredChunk } from '../store/types.js';

/** Tokens the symbol line that `embeddingText` puts before the content may take; the chunk budget leaves room. */
const EMBEDDING_PREFIX_TOKENS = 16;

/** The chunk budget when nothing is configured: the model's limit, but no more than this. */
const DEFAULT_CHUNK_TOKENS = 400;

/** Tokens a chunk's content may have so that, with its symbol line, the model embeds all of it. */
export function chunkBudget(configured: number | undefined, modelMaxTokens: number): number {
  return Math.min(configured ?? DEFAULT_CHUNK_TOKENS, modelMaxTokens - EMBEDDING_PREFIX_TOKENS);
}

/**
 * The chunker the index cuts files with under `config`: the configured budget within the model's limit, counted
 * with the model's tokenizer. `codectx chunk` uses it too, so it prints the chunks the index holds.
 */
export async function indexChunker(config: CodectxConfig): Promise<Chunker> {
  const counter = await createTokenCounter(config.embedding);
  return createChunker({ maxTokens: chunkBudget(config.chunkTokens, counter.maxTokens), countTokens: (text) => counter.countTokens(text) });
}

/**
 * The string the model embeds for a chunk: what it is and what it is called, then the code. The path is left
 * out on purpose (the keyword side has it): a renamed file keeps its vectors, found in the cache by this hash.
 */
export function embeddingText(chunk: Chunk): string {
  const name = [chunk.container, chunk.symbol].filter((part) => part !== '').join('.');
  return name ? `${chunk.kind} ${name}\n${chunk.content}` : chunk.content;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function toRecord(chunk: Chunk, fileHash: string): Omit<StoredChunk, 'vector'> {
  const contentHash = sha256(embeddingText(chunk)).slice(0, 32);
  const id = sha256(`${chunk.file}\0${chunk.startLine}\0${chunk.endLine}\0${contentHash}`).slice(0, 32);
  return { ...chunk, id, contentHash, fileHash };
}
