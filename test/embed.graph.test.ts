import { describe, expect, it } from 'vitest';
import { ProtoMessage } from '../src/embed/local/protobuf.js';
import { float16ToFloat32, SafeTensors } from '../src/embed/local/safetensors.js';
import { EmbeddingError } from '../src/errors.js';

describe('protobuf writer', () => {
  it('writes varints, negative int64s, fixed32 floats and nested messages', () => {
    expect(Array.from(new ProtoMessage().varint(1, 300).toBytes())).toEqual([0x08, 0xac, 0x02]);
    // int64 -1 is ten bytes of two's complement.
    expect(Array.from(new ProtoMessage().varint(3, -1).toBytes())).toEqual([0x18, ...Array(9).fill(0xff), 0x01]);
    expect(Array.from(new ProtoMessage().float(2, 1).toBytes())).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    const inner = new ProtoMessage().string(1, 'ab');
    expect(Array.from(new ProtoMessage().message(7, inner).toBytes())).toEqual([0x3a, 0x04, 0x0a, 0x02, 0x61, 0x62]);
  });
});

describe('safetensors reading', () => {
  it('converts half floats, subnormals and specials included', () => {
    const bits = [0x3c00, 0xc000, 0x0001, 0x03ff, 0x7bff, 0x8000, 0x7c00, 0x3555];
    const raw = new Uint8Array(new Uint16Array(bits).buffer);
    const values = Array.from(float16ToFloat32(raw));
    expect(values.slice(0, 2)).toEqual([1, -2]);
    expect(values[2]).toBe(2 ** -24);
    expect(values[3]).toBe((1023 / 1024) * 2 ** -14);
    expect(values[4]).toBe(65504);
    expect(Object.is(values[5], -0)).toBe(true);
    expect(values[6]).toBe(Infinity);
    expect(values[7]).toBeCloseTo(1 / 3, 3);
  });

  it('reads tensors by name and says which one is missing', () => {
    const header = JSON.stringify({ __metadata__: { format: 'pt' }, w: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } });
    const file = new Uint8Array(8 + header.length + 4);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(new TextEncoder().encode(header), 8);
    file.set(new Uint8Array(new Uint16Array([0x3c00, 0x4000]).buffer), 8 + header.length);
    const tensors = SafeTensors.parse(file, 'test.safetensors');
    expect(tensors.float32('w')).toEqual({ shape: [2], data: Float32Array.from([1, 2]) });
    expect(() => tensors.float32('missing')).toThrow(new EmbeddingError('weight missing is missing from the model file'));
    expect(() => SafeTensors.parse(file.subarray(0, 20), 'cut.safetensors')).toThrow(/cut.safetensors is not a safetensors file/);
  });
});
