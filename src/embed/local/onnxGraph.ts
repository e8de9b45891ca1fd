import { ProtoMessage } from './protobuf.js';

/**
 * A builder for ONNX graphs, serialised straight to the protobuf messages of onnx.proto (ModelProto, GraphProto,
 * NodeProto, TensorProto, AttributeProto, ValueInfoProto). Field numbers below are onnx.proto's.
 */

export const DataType = { Float: 1, Uint8: 2, Int8: 3, Int64: 7, Float16: 10 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

export type Attribute = { name: string } & ({ int: number } | { float: number } | { ints: readonly number[] });

/** A dimension is fixed (a number) or named and dynamic ('batch', 'sequence'). */
export type Dim = number | string;

const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

export class OnnxGraph {
  private readonly nodes: ProtoMessage[] = [];
  private readonly initializers: ProtoMessage[] = [];
  private readonly inputs: ProtoMessage[] = [];
  private readonly outputs: ProtoMessage[] = [];
  private nextId = 0;

  input(name: string, type: DataType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: DataType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A constant tensor; `data` is little-endian raw data of `type`. */
  constant(type: DataType, dims: readonly number[], data: ArrayBufferView, name = this.freshName('const')): string {
    const tensor = new ProtoMessage();
    for (const dim of dims) tensor.varint(1, dim);
    tensor.varint(2, type).string(8, name).bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.initializers.push(tensor);
    return name;
  }

  floats(dims: readonly number[], values: Float32Array | readonly number[], name?: string): string {
    return this.constant(DataType.Float, dims, Float32Array.from(values), name);
  }

  int64s(dims: readonly number[], values: readonly number[]): string {
    return this.constant(DataType.Int64, dims, BigInt64Array.from(values, BigInt));
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes: readonly Attribute[] = [], output = this.freshName(opType)): string {
    return this.opMulti(opType, inputs, 1, attributes, [output])[0]!;
  }

  /** Adds a node with several outputs. */
  opMulti(opType: string, inputs: readonly string[], outputCount: number, attributes: readonly Attribute[] = [], names?: string[]): string[] {
    const outputs = names ?? Array.from({ length: outputCount }, () => this.freshName(opType));
    const node = new ProtoMessage();
    for (const input of inputs) node.string(1, input);
    for (const output of outputs) node.string(2, output);
    node.string(3, this.freshName(`${opType}_node`)).string(4, opType);
    for (const attribute of attributes) node.message(5, encodeAttribute(attribute));
    this.nodes.push(node);
    return outputs;
  }

  /** The whole model: IR version 8, default-domain opset 17. */
  toModelBytes(producer: string): Uint8Array {
    const graph = new ProtoMessage();
    for (const node of this.nodes) graph.message(1, node);
    graph.string(2, producer);
    for (const tensor of this.initializers) graph.message(5, tensor);
    for (const input of this.inputs) graph.message(11, input);
    for (const output of this.outputs) graph.message(12, output);

    const opset = new ProtoMessage().string(1, '').varint(2, 17);
    return new ProtoMessage().varint(1, 8).string(2, producer).message(7, graph).message(8, opset).toBytes();
  }

  private freshName(prefix: string): string {
    return `${prefix}_${this.nextId++}`;
  }
}

function encodeAttribute(attribute: Attribute): ProtoMessage {
  const message = new ProtoMessage().string(1, attribute.name);
  if ('int' in attribute) return message.varint(3, attribute.int).varint(20, ATTRIBUTE_INT);
  if ('float' in attribute) return message.float(2, attribute.float).varint(20, ATTRIBUTE_FLOAT);
  for (const value of attribute.ints) message.varint(8, value);
  return message.varint(20, ATTRIBUTE_INTS);
}

function valueInfo(name: string, type: DataType, dims: readonly Dim[]): ProtoMessage {
  const shape = new ProtoMessage();
  for (const dim of dims) {
    shape.message(1, typeof dim === 'number' ? new ProtoMessage().varint(1, dim) : new ProtoMessage().string(2, dim));
  }
  const tensorType = new ProtoMessage().varint(1, type).message(2, shape);
  return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
}
