// The one ONNX graph builder. Lowering files call `node(...)` with operator
// names and attributes; the builder names every value deterministically
// (scope/op_counter), keeps small constants as Constant nodes (so the
// initializer list holds exactly the parameter table) and hides the few
// operators whose form changed between opsets.
import onnxProto from "onnx-proto";

export const onnx = onnxProto.onnx;
export const DataType = onnx.TensorProto.DataType;
export type DataTypeCode = onnxProto.onnx.TensorProto.DataType;

/** A tensor stored in the file: its bytes are written as raw_data (or external data). */
export interface Initializer {
  name: string;
  dims: number[];
  dataType: DataTypeCode;
  /** Little-endian raw bytes; a view onto the caller's array, never copied here. */
  data: Uint8Array;
}

/** A graph input or output: a named tensor with symbolic or fixed dimensions. */
export interface ValueInfo {
  name: string;
  dataType: DataTypeCode;
  dims: (number | string)[];
}

export type AttributeValue = number | number[] | string | { tensor: onnxProto.onnx.ITensorProto } | { float: number };

export interface Graph {
  name: string;
  nodes: onnxProto.onnx.INodeProto[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Shapes of inner values that ONNX shape inference cannot derive (see `shaped`). */
  valueInfo: ValueInfo[];
}

// The symbolic dimensions of the graph (SEMANTICS.md, "ONNX inference graph"). A
// name always stands for one size: onnxruntime plans buffer reuse by comparing them.
export const BATCH = "batch_size";
export const SEQUENCE = "sequence_length";
export const PAST = "past_sequence_length";
export const TOTAL = "total_sequence_length";
/** B·T: every token of the batch as one row. */
export const BATCH_TOKENS = "batch_tokens";

/** A float that may be spelled as an integer in source still goes out as FLOAT. */
export const float = (value: number): { float: number } => ({ float: value });

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly valueInfo: ValueInfo[] = [];
  private readonly constants = new Map<string, string>();
  private readonly scopes: string[] = [];
  private counter = 0;

  constructor(readonly opset: number) {}

  /** Runs `body` with value names prefixed by `scope` (e.g. `layers.3.mot`). */
  scoped<T>(scope: string, body: () => T): T {
    this.scopes.push(scope);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  input(name: string, dataType: DataTypeCode, dims: (number | string)[]): string {
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  output(name: string, dataType: DataTypeCode, dims: (number | string)[]): void {
    this.outputs.push({ name, dataType, dims });
  }

  /**
   * Declares the shape of `value` (returned), for a value whose shape ONNX shape
   * inference cannot derive: the output of a Range, of a Reshape to a computed
   * shape, of a Pad. onnxruntime plans buffer reuse when it opens a model by
   * comparing shapes, and keeps every freed buffer of unknown shape on the list
   * it searches for each new value: with such values in every layer, opening a
   * model took time quadratic in its size (1,000 sublayers: minutes). With
   * every layer's values shaped by the same symbolic names, buffers are reused
   * and the search stays short. A name must always mean one size.
   */
  shaped(value: string, dims: (number | string)[], dataType: DataTypeCode = DataType.FLOAT): string {
    this.valueInfo.push({ name: value, dataType, dims });
    return value;
  }

  initializer(name: string, dims: number[], dataType: DataTypeCode, data: Uint8Array): string {
    this.initializers.push({ name, dims, dataType, data });
    return name;
  }

  /** Adds one node; returns its first output (see `nodeOutputs` for several). */
  node(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    return this.nodeOutputs(op, inputs, 1, attributes, output ? [output] : undefined)[0];
  }

  nodeOutputs(op: string, inputs: string[], count: number, attributes: Record<string, AttributeValue> = {}, names?: string[]): string[] {
    const id = this.counter++;
    const prefix = this.scopes.length > 0 ? `${this.scopes[this.scopes.length - 1]}/` : "";
    const nodeName = `${prefix}${op}_${id}`;
    const outputs = names ?? Array.from({ length: count }, (_, i) => (count === 1 ? nodeName : `${nodeName}:${i}`));
    this.nodes.push({ name: nodeName, opType: op, input: inputs, output: outputs, attribute: encodeAttributes(attributes) });
    return outputs;
  }

  /** An int64 constant (shapes, axes, indices), shared by every use. */
  int64(values: number[] | number): string {
    const list = typeof values === "number" ? [values] : values;
    const dims = typeof values === "number" ? [] : [list.length];
    return this.constant(`i64:${dims.length}:${list.join(",")}`, { dims, dataType: DataType.INT64, int64Data: list });
  }

  /** A float32 constant: a scalar or a tensor of the given shape. */
  float32(values: Float32Array | number, dims: number[] = []): string {
    const data = typeof values === "number" ? Float32Array.of(values) : values;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const key = `f32:${dims.join("x")}:${Buffer.from(bytes).toString("base64")}`;
    return this.constant(key, { dims, dataType: DataType.FLOAT, rawData: bytes });
  }

  private constant(key: string, tensor: onnxProto.onnx.ITensorProto): string {
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_${this.constants.size}`;
    this.nodes.push({ name, opType: "Constant", input: [], output: [name], attribute: encodeAttributes({ value: { tensor } }) });
    this.constants.set(key, name);
    return name;
  }

  // Operators whose signature changed between opsets.

  /** ReduceMean over `axes`: attribute before opset 18, input from 18 on. */
  reduceMean(x: string, axes: number[], keepdims = true): string {
    if (this.opset >= 18) return this.node("ReduceMean", [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.node("ReduceMean", [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /** ReduceMax over `axes`: attribute before opset 18, input from 18 on. */
  reduceMax(x: string, axes: number[], keepdims = true): string {
    if (this.opset >= 18) return this.node("ReduceMax", [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.node("ReduceMax", [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  /** ReduceSum over `axes` (an input since opset 13). */
  reduceSum(x: string, axes: number[], keepdims = true): string {
    return this.node("ReduceSum", [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  /** `x @ w` */
  matmul(x: string, w: string): string {
    return this.node("MatMul", [x, w]);
  }

  add(a: string, b: string): string {
    return this.node("Add", [a, b]);
  }

  mul(a: string, b: string): string {
    return this.node("Mul", [a, b]);
  }

  reshape(x: string, shape: number[] | string): string {
    return this.node("Reshape", [x, typeof shape === "string" ? shape : this.int64(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.node("Transpose", [x], { perm });
  }

  /** Dimension `axis` of `x` as an int64 scalar. */
  dim(x: string, axis: number): string {
    const shape = this.node("Shape", [x], this.opset >= 15 ? { start: axis, end: axis + 1 } : {});
    const one = this.opset >= 15 ? shape : this.node("Gather", [shape, this.int64([axis])]);
    return this.node("Squeeze", [one, this.int64([0])]);
  }

  /** Concatenates int64 scalars / 1-D tensors into one 1-D shape tensor. */
  shape(parts: (string | number)[]): string {
    const pieces = parts.map((p) => (typeof p === "number" ? this.int64([p]) : this.node("Unsqueeze", [p, this.int64([0])])));
    return this.node("Concat", pieces, { axis: 0 });
  }

  build(name: string): Graph {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs, valueInfo: this.valueInfo };
  }
}

function encodeAttributes(attributes: Record<string, AttributeValue>): onnxProto.onnx.IAttributeProto[] {
  const Type = onnx.AttributeProto.AttributeType;
  return Object.keys(attributes).sort().map((name) => {
    const value = attributes[name];
    if (typeof value === "number") {
      return Number.isInteger(value) ? { name, type: Type.INT, i: value } : { name, type: Type.FLOAT, f: value };
    }
    if (typeof value === "string") return { name, type: Type.STRING, s: new TextEncoder().encode(value) };
    if (Array.isArray(value)) return { name, type: Type.INTS, ints: value };
    if ("float" in value) return { name, type: Type.FLOAT, f: value.float };
    return { name, type: Type.TENSOR, t: value.tensor };
  });
}
