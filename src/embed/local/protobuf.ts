/**
 * The little of the protobuf wire format an ONNX file needs: varints, fixed32 floats and length-delimited fields.
 * A message keeps its encoded parts instead of concatenating them, so nesting 60 MB of weights into a graph and
 * the graph into a model copies the bytes once, in `toBytes`.
 */
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

function encodeVarint(value: number | bigint): Uint8Array {
  // Negative int64 values are written as their 64-bit two's complement, ten bytes long.
  let rest = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0n);
  return Uint8Array.from(bytes);
}

function tag(field: number, wireType: number): Uint8Array {
  return encodeVarint((field << 3) | wireType);
}

export class ProtoMessage {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  get byteLength(): number {
    return this.size;
  }

  varint(field: number, value: number | bigint): this {
    return this.push(tag(field, WIRE_VARINT), encodeVarint(value));
  }

  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.push(tag(field, WIRE_FIXED32), bytes);
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    return this.push(tag(field, WIRE_LENGTH_DELIMITED), encodeVarint(value.byteLength), value);
  }

  message(field: number, value: ProtoMessage): this {
    return this.push(tag(field, WIRE_LENGTH_DELIMITED), encodeVarint(value.size), ...value.parts);
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }

  private push(...parts: Uint8Array[]): this {
    for (const part of parts) {
      this.parts.push(part);
      this.size += part.byteLength;
    }
    return this;
  }
}
