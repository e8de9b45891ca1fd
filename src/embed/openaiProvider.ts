import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { EmbeddingError } from '../errors.js';
import type { EmbeddingProvider } from './types.js';
import { estimateOpenAiTokens, openAiMaxTokens } from './openaiTokens.js';
import { l2Normalize } from './vectors.js';

export interface OpenAIProviderOptions {
  model: string;
  /** An OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, TEI); OpenAI itself when absent. */
  baseURL?: string;
  /** Requested output dimension (text-embedding-3 models can shorten vectors); detected when absent. */
  dimensions?: number;
  /** Name of the environment variable holding the API key. */
  apiKeyEnv?: string;
  batchSize?: number;
  maxTokens?: number;
}

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';
const DEFAULT_BATCH_SIZE = 64;
/** Rate limits and server errors are retried this many times, waiting as told by retry-after or 0.5 s, 1 s, 2 s… */
const MAX_RETRIES = 5;
const MAX_RETRY_DELAY_MS = 8_000;
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * Embeddings from OpenAI or any server speaking its /v1/embeddings protocol. Vectors are L2-normalised (not all
 * compatible servers normalise). Token counts are an estimate, four characters a token: the provider does not
 * ship each model's tokenizer, and the estimate only sizes chunks and dry-run costs.
 */
export class OpenAIEmbeddingProvider implements EmbeddingProvider {
  readonly id: string;
  readonly maxTokens: number;

  private constructor(
    private readonly client: OpenAI,
    private readonly options: OpenAIProviderOptions & { baseURL: string; apiKeyEnv: string },
    private detectedDimension: number,
  ) {
    this.id = `openai:${options.model}`;
    this.maxTokens = options.maxTokens ?? openAiMaxTokens(options.model);
  }

  get dimension(): number {
    return this.detectedDimension;
  }

  /** Connects, and makes one probe request to learn the dimension unless it is configured. */
  static async create(options: OpenAIProviderOptions): Promise<OpenAIEmbeddingProvider> {
    const baseURL = options.baseURL ?? OPENAI_BASE_URL;
    const apiKeyEnv = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
    const apiKey = process.env[apiKeyEnv];
    // Local servers (Ollama, vLLM…) usually take no key; OpenAI itself always needs one.
    if (!apiKey && !options.baseURL) {
      throw new EmbeddingError(`the OpenAI embedding provider needs an API key: set the environment variable ${apiKeyEnv}`);
    }
    const client = new OpenAI({ apiKey: apiKey || 'no-key', baseURL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const provider = new OpenAIEmbeddingProvider(client, { ...options, baseURL, apiKeyEnv }, options.dimensions ?? 0);
    if (!options.dimensions) provider.detectedDimension = (await provider.request(['dimension probe']))[0]!.length;
    return provider;
  }

  countTokens(text: string): number {
    return estimateOpenAiTokens(text);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      const batch = await this.request(texts.slice(start, start + batchSize).map((text) => this.withinWindow(text)));
      for (const vector of batch) {
        if (vector.length !== this.dimension) {
          throw new EmbeddingError(`${this.options.baseURL} returned ${vector.length}-dimensional vectors, expected ${this.dimension}`);
        }
        vectors.push(vector);
      }
    }
    return vectors;
  }

  async close(): Promise<void> {}

  /** Servers reject input over the model's window; two characters a token keeps dense code within it. */
  private withinWindow(text: string): string {
    const limit = this.maxTokens * 2;
    return text.length > limit ? text.slice(0, limit) : text;
  }

  private async request(input: string[]): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.client.embeddings.create({
          model: this.options.model,
          input,
          encoding_format: 'float',
          ...(this.options.dimensions ? { dimensions: this.options.dimensions } : {}),
        });
        if (response.data.length !== input.length) {
          throw new EmbeddingError(`${this.options.baseURL} returned ${response.data.length} embeddings for ${input.length} inputs`);
        }
        return [...response.data].sort((a, b) => a.index - b.index).map((item) => l2Normalize(Float32Array.from(item.embedding)));
      } catch (error) {
        if (attempt < MAX_RETRIES && isRetryable(error)) {
          await sleep(retryDelayMs(error as APIError, attempt));
          continue;
        }
        throw this.describe(error, attempt);
      }
    }
  }

  private describe(error: unknown, retries: number): Error {
    const { baseURL, apiKeyEnv, model } = this.options;
    if (error instanceof EmbeddingError) return error;
    if (error instanceof APIConnectionError) {
      const reason = causeCode(error) ?? error.message;
      return new EmbeddingError(`cannot reach the embedding endpoint ${baseURL} (${reason})`, 1, { cause: error });
    }
    if (error instanceof APIError) {
      const after = retries > 0 ? ` after ${retries} retries` : '';
      if (error.status === 401) {
        return new EmbeddingError(`${baseURL} rejected the API key in ${apiKeyEnv} (401 Unauthorized)`, 1, { cause: error });
      }
      const detail = error.message.split('\n')[0];
      return new EmbeddingError(`embedding request for ${model} to ${baseURL} failed${after}: ${detail}`, 1, { cause: error });
    }
    return new EmbeddingError(`embedding request to ${baseURL} failed: ${(error as Error).message}`, 1, { cause: error });
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof APIConnectionTimeoutError) return true;
  if (!(error instanceof APIError) || error.status === undefined) return false;
  return error.status === 429 || error.status >= 500;
}

/** The server's retry-after-ms / retry-after when given, else exponential: 0.5 s, 1 s, 2 s, … capped at 8 s. */
function retryDelayMs(error: APIError, attempt: number): number {
  const afterMs = headerNumber(error, 'retry-after-ms') ?? (headerNumber(error, 'retry-after') ?? NaN) * 1000;
  return Math.min(Number.isNaN(afterMs) ? 500 * 2 ** attempt : afterMs, MAX_RETRY_DELAY_MS);
}

function headerNumber(error: APIError, name: string): number | undefined {
  const value = Number(error.headers?.get(name) ?? NaN);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function causeCode(error: Error): string | undefined {
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code) return code;
    cause = cause.cause;
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
