import { EmbeddingError } from '../../errors.js';

/**
 * Reads a safetensors file: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the data, offsets counted from the end of the header.
 */
interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export class SafeTensors {
  private constructor(
    private readonly bytes: Uint8Array,
    private readonly dataStart: number,
    private readonly entries: Record<string, TensorEntry>,
  ) {}

  static parse(bytes: Uint8Array, source: string): SafeTensors {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = bytes.byteLength >= 8 ? Number(view.getBigUint64(0, true)) : Infinity;
    if (8 + headerLength > bytes.byteLength) throw new EmbeddingError(`${source} is not a safetensors file (truncated header)`);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, TensorEntry>;
    delete header.__metadata__;
    return new SafeTensors(bytes, 8 + headerLength, header);
  }

  /** A tensor as float32, whatever its stored float type. */
  float32(name: string): Tensor {
    const entry = this.entry(name);
    const raw = this.raw(name);
    if (entry.dtype === 'F32') return { shape: entry.shape, data: new Float32Array(raw.slice().buffer) };
    if (entry.dtype === 'F16') return { shape: entry.shape, data: float16ToFloat32(raw) };
    throw new EmbeddingError(`weight ${name} has unsupported dtype ${entry.dtype}`);
  }

  dtype(name: string): string {
    return this.entry(name).dtype;
  }

  /** The stored bytes of a tensor, as they are in the file. */
  raw(name: string): Uint8Array {
    const [begin, end] = this.entry(name).data_offsets;
    return this.bytes.subarray(this.dataStart + begin, this.dataStart + end);
  }

  private entry(name: string): TensorEntry {
    const entry = this.entries[name];
    if (!entry) throw new EmbeddingError(`weight ${name} is missing from the model file`);
    return entry;
  }
}

let float16Table: Float32Array | undefined;

/** IEEE half → single precision via a 65 536-entry table (sign, 5-bit exponent, 10-bit fraction, subnormals). */
export function float16ToFloat32(raw: Uint8Array): Float32Array {
  float16Table ??= buildFloat16Table();
  const count = raw.byteLength / 2;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = float16Table[raw[2 * i]! | (raw[2 * i + 1]! << 8)]!;
  return out;
}

function buildFloat16Table(): Float32Array {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) table[bits] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) table[bits] = fraction ? NaN : sign * Infinity;
    else table[bits] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return table;
}
