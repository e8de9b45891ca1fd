import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { EmbeddingError } from '../errors.js';
import { EMBEDDING_IDS, type EmbeddingProvider } from './types.js';
import { estimateOpenAiTokens, openAiMaxTokens } from './openaiTokens.js';
import { l2Normalize } from './vectors.js';
import { unsendableKey } from '../text.js';

export interface OpenAIProviderOptions {
  model: string;
  /** An OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, TEI); OpenAI itself when absent. */
  baseURL?: string;
  /** Requested output dimension (text-embedding-3 models can shorten vectors); detected when absent. */
  dimensions?: number;
  /** Name of the environment variable holding the API key. */
  apiKeyEnv?: string;
  batchSize?: number;
  /** Requests in flight at once within one embed() call; 4 by default. */
  concurrency?: number;
  maxTokens?: number;
}

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';
const DEFAULT_BATCH_SIZE = 64;
/**
 * A remote server spends most of a request's time on its own side (120 ms + 2 ms an input is typical), so a
 * few requests in flight multiply throughput; more than a handful meets rate limits. bench/remote-embed.mjs.
 */
const DEFAULT_CONCURRENCY = 4;
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
  readonly textsPerCall: number;

  private constructor(
    private readonly client: OpenAI,
    private readonly options: OpenAIProviderOptions & { baseURL: string; apiKeyEnv: string },
    private detectedDimension: number,
  ) {
    this.id = EMBEDDING_IDS.openai(options.model);
    this.maxTokens = options.maxTokens ?? openAiMaxTokens(options.model);
    this.textsPerCall = this.batchSize * this.concurrency;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  private get concurrency(): number {
    return this.options.concurrency ?? DEFAULT_CONCURRENCY;
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
    const unsendable = apiKey ? unsendableKey(apiKeyEnv, apiKey) : undefined;
    if (unsendable) throw new EmbeddingError(unsendable);
    const client = new OpenAI({ apiKey: apiKey || 'no-key', baseURL, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const provider = new OpenAIEmbeddingProvider(client, { ...options, baseURL, apiKeyEnv }, options.dimensions ?? 0);
    if (!options.dimensions) provider.detectedDimension = (await provider.request(['dimension probe']))[0]!.length;
    return provider;
  }

  countTokens(text: string): number {
    return estimateOpenAiTokens(text);
  }

  /**
   * Batches go out up to `concurrency` at a time and come back in the caller's order. The first failure (after
   * its retries) aborts the requests still in flight and is the one error thrown.
   */
  async embed(texts: string[]): Promise<Float32Array[]> {
    const batches: string[][] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      batches.push(texts.slice(start, start + this.batchSize).map((text) => this.withinWindow(text)));
    }
    const results: Float32Array[][] = new Array(batches.length);
    // One controller a request: the SDK leaves a listener on the signal it is given.
    const inFlight = new Set<AbortController>();
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (!failure && next < batches.length) {
        const index = next++;
        const controller = new AbortController();
        inFlight.add(controller);
        try {
          results[index] = this.checked(await this.request(batches[index]!, controller.signal));
        } catch (error) {
          // Requests cut short by the aborts below fail too; the failure that caused them is the one reported.
          failure ??= { error };
          for (const other of inFlight) other.abort();
        } finally {
          inFlight.delete(controller);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));
    if (failure) throw failure.error;
    return results.flat();
  }

  async close(): Promise<void> {}

  private checked(batch: Float32Array[]): Float32Array[] {
    for (const vector of batch) {
      if (vector.length !== this.dimension) {
        throw new EmbeddingError(`${this.options.baseURL} returned ${vector.length}-dimensional vectors, expected ${this.dimension}`);
      }
    }
    return batch;
  }

  /** Servers reject input over the model's window; two characters a token keeps dense code within it. */
  private withinWindow(text: string): string {
    const limit = this.maxTokens * 2;
    return text.length > limit ? text.slice(0, limit) : text;
  }

  private async request(input: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.client.embeddings.create(
          {
            model: this.options.model,
            input,
            encoding_format: 'float',
            ...(this.options.dimensions ? { dimensions: this.options.dimensions } : {}),
          },
          { signal },
        );
        if (response.data.length !== input.length) {
          throw new EmbeddingError(`${this.options.baseURL} returned ${response.data.length} embeddings for ${input.length} inputs`);
        }
        return [...response.data].sort((a, b) => a.index - b.index).map((item) => l2Normalize(Float32Array.from(item.embedding)));
      } catch (error) {
        if (attempt < MAX_RETRIES && isRetryable(error) && !signal?.aborted) {
          await sleep(retryDelayMs(error as APIError, attempt), signal);
          if (!signal?.aborted) continue;
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

/** Waits, or less when the signal aborts (a sibling request failed: retrying this one is wasted). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
