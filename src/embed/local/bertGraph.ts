import { DataType, OnnxGraph } from './onnxGraph.js';
import type { SafeTensors } from './safetensors.js';

/**
 * Builds the BERT encoder (all-MiniLM-L6-v2's architecture) as an ONNX graph from safetensors weights.
 * Inputs `input_ids` and `attention_mask` (int64 [batch, sequence]), output `sentence_embedding` (float
 * [batch, hidden]: mean-pooled over the real tokens, unit length).
 *
 * Two variants: fp32, and int8 where every encoder Linear has per-output-column symmetric int8 weights and
 * dynamically quantised activations (DynamicQuantizeLinear → MatMulInteger), about 1.5× faster on CPU.
 */

/** Bump when the graph changes, so cached graphs built by older code are rebuilt. */
export const GRAPH_BUILDER_VERSION = 2;

export type ModelVariant = 'int8' | 'fp32';

export interface BertConfig {
  hiddenSize: number;
  attentionHeads: number;
  layers: number;
  layerNormEps: number;
}

/** Reads the fields the graph needs from a Hugging Face config.json. */
export function bertConfigFrom(json: Record<string, unknown>): BertConfig {
  return {
    hiddenSize: Number(json.hidden_size),
    attentionHeads: Number(json.num_attention_heads),
    layers: Number(json.num_hidden_layers),
    layerNormEps: Number(json.layer_norm_eps),
  };
}

// Added to the scores of padding positions: large enough to zero them in Softmax, small enough not to overflow.
const MASKED_SCORE = -3.4028234663852886e38 / 2;

export function buildBertGraph(weights: SafeTensors, config: BertConfig, variant: ModelVariant): Uint8Array {
  const graph = new OnnxGraph();
  const builder = new BertBuilder(graph, weights, config, variant);
  const inputIds = graph.input('input_ids', DataType.Int64, ['batch', 'sequence']);
  const attentionMask = graph.input('attention_mask', DataType.Int64, ['batch', 'sequence']);

  let hidden = builder.embeddings(inputIds);
  const scoreMask = builder.additiveMask(attentionMask);
  for (let layer = 0; layer < config.layers; layer++) hidden = builder.encoderLayer(`encoder.layer.${layer}`, hidden, scoreMask);
  builder.meanPooledUnit(hidden, attentionMask, 'sentence_embedding');
  graph.output('sentence_embedding', DataType.Float, ['batch', config.hiddenSize]);
  return graph.toModelBytes(`codectx-bert-${variant}-v${GRAPH_BUILDER_VERSION}`);
}

class BertBuilder {
  private readonly headSize: number;

  constructor(
    private readonly graph: OnnxGraph,
    private readonly weights: SafeTensors,
    private readonly config: BertConfig,
    private readonly variant: ModelVariant,
  ) {
    this.headSize = config.hiddenSize / config.attentionHeads;
  }

  /** Word + position + token-type embeddings, layer-normalised. */
  embeddings(inputIds: string): string {
    const g = this.graph;
    const H = this.config.hiddenSize;
    const wordName = 'embeddings.word_embeddings.weight';
    let words: string;
    if (this.weights.dtype(wordName) === 'F16') {
      // The table is the largest weight; gathering fp16 rows and casting them is exact and halves its size.
      const vocab = this.weights.raw(wordName).byteLength / 2 / H;
      const table = g.constant(DataType.Float16, [vocab, H], this.weights.raw(wordName));
      words = g.op('Cast', [g.op('Gather', [table, inputIds])], [{ name: 'to', int: DataType.Float }]);
    } else {
      const table = this.weights.float32(wordName);
      words = g.op('Gather', [g.floats(table.shape, table.data), inputIds]);
    }

    // Single-sequence input always has token type 0, so its embedding is folded into the position table.
    const positions = this.weights.float32('embeddings.position_embeddings.weight');
    const tokenType = this.weights.float32('embeddings.token_type_embeddings.weight').data.subarray(0, H);
    const positionTable = positions.data.map((value, i) => value + tokenType[i % H]!);
    const sequenceLength = g.op('Gather', [g.op('Shape', [inputIds]), g.int64s([], [1])], [{ name: 'axis', int: 0 }]);
    const positionIds = g.op('Range', [g.int64s([], [0]), sequenceLength, g.int64s([], [1])]);
    const positionVectors = g.op('Gather', [g.floats(positions.shape, positionTable), positionIds]);
    return this.layerNorm('embeddings.LayerNorm', g.op('Add', [words, positionVectors]));
  }

  /**
   * The sentence vector: mean of the token vectors where the mask is 1, scaled to unit length (the sum, as the
   * scaling makes the division by the count moot). Pooling in the graph means a batch's result is
   * [batch, hidden], not [batch, sequence, hidden]: 1/256th of the bytes to hand back and keep.
   */
  meanPooledUnit(hidden: string, attentionMask: string, outputName: string): string {
    const g = this.graph;
    const mask = g.op('Unsqueeze', [g.op('Cast', [attentionMask], [{ name: 'to', int: DataType.Float }]), g.int64s([1], [2])]);
    const summed = g.op('ReduceSum', [g.op('Mul', [hidden, mask]), g.int64s([1], [1])], [{ name: 'keepdims', int: 0 }]);
    return g.op('LpNormalization', [summed], [{ name: 'axis', int: -1 }, { name: 'p', int: 2 }], outputName);
  }

  /** 0 where attention_mask is 1, a huge negative where it is 0; shaped [batch, 1, 1, sequence] for the scores. */
  additiveMask(attentionMask: string): string {
    const g = this.graph;
    const mask = g.op('Cast', [attentionMask], [{ name: 'to', int: DataType.Float }]);
    const masked = g.op('Mul', [g.op('Sub', [g.floats([], [1]), mask]), g.floats([], [MASKED_SCORE])]);
    return g.op('Unsqueeze', [masked, g.int64s([2], [1, 2])]);
  }

  encoderLayer(prefix: string, input: string, scoreMask: string): string {
    const g = this.graph;
    const attention = this.selfAttention(`${prefix}.attention.self`, input, scoreMask);
    const afterAttention = this.layerNorm(
      `${prefix}.attention.output.LayerNorm`,
      g.op('Add', [this.linear(`${prefix}.attention.output.dense`, attention), input]),
    );
    const intermediate = this.gelu(this.linear(`${prefix}.intermediate.dense`, afterAttention));
    return this.layerNorm(
      `${prefix}.output.LayerNorm`,
      g.op('Add', [this.linear(`${prefix}.output.dense`, intermediate), afterAttention]),
    );
  }

  private selfAttention(prefix: string, input: string, scoreMask: string): string {
    const g = this.graph;
    const heads = g.int64s([4], [0, 0, this.config.attentionHeads, this.headSize]);
    const split = (name: string, perm: number[], scale?: number) =>
      g.op('Transpose', [g.op('Reshape', [this.linear(`${prefix}.${name}`, input, scale), heads])], [{ name: 'perm', ints: perm }]);

    // 1/√headSize is folded into the query weights rather than applied to every score.
    const query = split('query', [0, 2, 1, 3], 1 / Math.sqrt(this.headSize));
    const keyT = split('key', [0, 2, 3, 1]);
    const value = split('value', [0, 2, 1, 3]);
    const scores = g.op('Add', [g.op('MatMul', [query, keyT]), scoreMask]);
    const probabilities = g.op('Softmax', [scores], [{ name: 'axis', int: -1 }]);
    const context = g.op('Transpose', [g.op('MatMul', [probabilities, value])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    return g.op('Reshape', [context, g.int64s([3], [0, 0, this.config.hiddenSize])]);
  }

  /** GELU, exact: 0.5·h·(1 + erf(h/√2)). Opset 17 has no Gelu op; onnxruntime fuses this pattern. */
  private gelu(h: string): string {
    const g = this.graph;
    const erf = g.op('Erf', [g.op('Div', [h, g.floats([], [Math.SQRT2])])]);
    return g.op('Mul', [g.op('Mul', [h, g.op('Add', [erf, g.floats([], [1])])]), g.floats([], [0.5])]);
  }

  private layerNorm(prefix: string, input: string): string {
    const g = this.graph;
    const scale = this.weights.float32(`${prefix}.weight`);
    const bias = this.weights.float32(`${prefix}.bias`);
    return g.op(
      'LayerNormalization',
      [input, g.floats(scale.shape, scale.data), g.floats(bias.shape, bias.data)],
      [
        { name: 'axis', int: -1 },
        { name: 'epsilon', float: this.config.layerNormEps },
      ],
    );
  }

  /** x·Wᵀ + b. Weights are stored [out, in]; MatMul wants [in, out]. */
  private linear(prefix: string, input: string, scale = 1): string {
    const g = this.graph;
    const weight = this.weights.float32(`${prefix}.weight`);
    const bias = this.weights.float32(`${prefix}.bias`);
    const [outSize, inSize] = weight.shape as [number, number];
    const transposed = new Float32Array(inSize * outSize);
    for (let o = 0; o < outSize; o++) {
      for (let i = 0; i < inSize; i++) transposed[i * outSize + o] = weight.data[o * inSize + i]! * scale;
    }
    const biasName = g.floats([outSize], bias.data.map((value) => value * scale));
    if (this.variant === 'fp32') return g.op('Add', [g.op('MatMul', [input, g.floats([inSize, outSize], transposed)]), biasName]);

    const { quantized, scales } = quantizePerColumn(transposed, inSize, outSize);
    const [inputQ, inputScale, inputZeroPoint] = g.opMulti('DynamicQuantizeLinear', [input], 3);
    const product = g.op('MatMulInteger', [inputQ!, g.constant(DataType.Int8, [inSize, outSize], quantized), inputZeroPoint!]);
    const productF = g.op('Cast', [product], [{ name: 'to', int: DataType.Float }]);
    const combinedScale = g.op('Mul', [inputScale!, g.floats([outSize], scales)]);
    return g.op('Add', [g.op('Mul', [productF, combinedScale]), biasName]);
  }
}

/** Symmetric int8 per output column: scale = max|w| / 127, zero point 0. */
function quantizePerColumn(weights: Float32Array, rows: number, columns: number): { quantized: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) scales[c] = Math.max(scales[c]!, Math.abs(weights[r * columns + c]!));
  }
  for (let c = 0; c < columns; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1;
  const quantized = new Int8Array(rows * columns);
  for (let i = 0; i < quantized.length; i++) {
    quantized[i] = Math.max(-127, Math.min(127, Math.round(weights[i]! / scales[i % columns]!)));
  }
  return { quantized, scales };
}
