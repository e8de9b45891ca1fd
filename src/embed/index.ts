import type { ModelVariant } from './local/bertGraph.js';
import { DEFAULT_LOCAL_VARIANT, LOCAL_DIMENSION, LocalEmbeddingProvider, loadLocalTokenCounter } from './local/localProvider.js';
import { estimateOpenAiTokens, openAiMaxTokens } from './openaiTokens.js';
import { EMBEDDING_IDS, type EmbeddingProvider, type TokenCounter } from './types.js';

export { LOCAL_MAX_TOKENS } from './local/localProvider.js';
export type { EmbeddingProvider, TokenCounter } from './types.js';

export interface LocalEmbeddingOptions {
  provider: 'local';
  /** int8 (default) is about 1.5× faster than fp32, with vectors at cosine ≈ 0.99 to fp32's. */
  variant?: ModelVariant;
  /** Texts per inference call; 8 by default. */
  batchSize?: number;
}

export interface OpenAIEmbeddingOptions {
  provider: 'openai';
  /** Defaults to text-embedding-3-small. */
  model?: string;
  baseURL?: string;
  /** Name of the environment variable holding the key (OPENAI_API_KEY by default); keys never go in config. */
  apiKeyEnv?: string;
  dimensions?: number;
  /** Texts per request; 64 by default. */
  batchSize?: number;
  /** Requests in flight at once; 4 by default. */
  concurrency?: number;
  maxTokens?: number;
}

export type EmbeddingOptions = LocalEmbeddingOptions | OpenAIEmbeddingOptions;

export const DEFAULT_OPENAI_MODEL = 'text-embedding-3-small';

export function createEmbeddingProvider(options: EmbeddingOptions): Promise<EmbeddingProvider> {
  if (options.provider === 'local') return LocalEmbeddingProvider.create({ variant: options.variant, batchSize: options.batchSize });
  // The openai SDK loads only when used: it would add ~0.2 s to every command's start.
  return import('./openaiProvider.js').then(({ OpenAIEmbeddingProvider }) =>
    OpenAIEmbeddingProvider.create({ ...options, model: options.model ?? DEFAULT_OPENAI_MODEL }),
  );
}

/** The id of the model `options` ask for, as its provider records it with an index, without loading the model. */
export function configuredEmbeddingId(options: EmbeddingOptions): string {
  if (options.provider === 'local') return EMBEDDING_IDS.local(options.variant ?? DEFAULT_LOCAL_VARIANT);
  return EMBEDDING_IDS.openai(options.model ?? DEFAULT_OPENAI_MODEL);
}

// The vector sizes of OpenAI's embedding models when no `dimensions` shortens them.
const OPENAI_DIMENSIONS: Record<string, number> = { 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072, 'text-embedding-ada-002': 1536 };

/** The vector size the model `options` ask for, when known without loading it or asking its server. */
export function configuredDimension(options: EmbeddingOptions): number | undefined {
  if (options.provider === 'local') return LOCAL_DIMENSION;
  return options.dimensions ?? OPENAI_DIMENSIONS[options.model ?? DEFAULT_OPENAI_MODEL];
}

/**
 * The model's token counting without the model (no inference worker, no request to a server): the index's
 * chunker and `codectx chunk` both size chunks with it, so they cut files identically.
 */
export async function createTokenCounter(options: EmbeddingOptions): Promise<TokenCounter> {
  if (options.provider === 'local') return loadLocalTokenCounter();
  const maxTokens = options.maxTokens ?? openAiMaxTokens(options.model ?? DEFAULT_OPENAI_MODEL);
  return { maxTokens, countTokens: estimateOpenAiTokens };
}

/** US dollars per million input tokens, from OpenAI's price list. */
const PRICE_PER_MILLION_TOKENS: Record<string, number> = {
  'text-embedding-3-small': 0.02,
  'text-embedding-3-large': 0.13,
  'text-embedding-ada-002': 0.1,
};

/** What embedding `tokens` tokens costs; 0 for the local model and for models with no known price. */
export function embeddingCostUsd(options: EmbeddingOptions, tokens: number): number {
  if (options.provider === 'local') return 0;
  const price = PRICE_PER_MILLION_TOKENS[options.model ?? DEFAULT_OPENAI_MODEL] ?? 0;
  return (tokens / 1_000_000) * price;
}
