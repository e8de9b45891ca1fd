/**
 * An embedding provider turns texts into unit-length vectors. Two real implementations: the offline local
 * model (default) and OpenAI-compatible endpoints.
 */
export interface EmbeddingProvider {
  /** Identifies model and variant, recorded with an index so vectors from different models are never mixed. */
  readonly id: string;
  readonly dimension: number;
  /** Longest input in the model's own tokens; longer input is split by the chunker, never silently cut. */
  readonly maxTokens: number;
  /** Texts one embed() call should carry to keep the provider busy (a remote one sends them as parallel requests). */
  readonly textsPerCall?: number;
  /** Counts tokens the way the model does (exact for the local model, an estimate for remote ones). */
  countTokens(text: string): number;
  /** Embeds texts in order; vectors are L2-normalised. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Frees the model (worker threads, sessions). */
  close(): Promise<void>;
}

/** What sizes chunks: the model's input limit and how it counts tokens (an EmbeddingProvider is one too). */
export interface TokenCounter {
  readonly maxTokens: number;
  countTokens(text: string): number;
}

/**
 * The ids the providers record with an index, also known from a configuration without loading its model: status
 * names the model a configuration asks for when it cannot be loaded (no API key, no server).
 */
export const EMBEDDING_IDS = {
  local: (variant: string): string => `local:all-MiniLM-L6-v2:${variant}`,
  openai: (model: string): string => `openai:${model}`,
};
