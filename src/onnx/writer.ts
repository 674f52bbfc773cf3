// Serializes a built graph to ONNX protobuf bytes without copying the weights.
//
// The small parts (model header, nodes, inputs, outputs, each tensor's header)
// are encoded by onnx-proto; each initializer's raw_data is appended as a view
// onto the caller's Float32Array. Protobuf fields may come in any order and a
// message is just its fields concatenated, so the file is the list of chunks:
//   ModelProto fields … | graph tag, length | GraphProto fields … | initializers
// A model whose weights would pass protobuf's 2 GB limit keeps its large tensors
// in an external data file beside it, each at a page-aligned (4096) offset.
import type onnxProto from "onnx-proto";
import { onnx, type Graph, type Initializer, type ValueInfo } from "./builder.js";

export interface ModelHeader {
  irVersion: number;
  opset: number;
  producerVersion: string;
  /** Written in key order, so the bytes do not depend on insertion order. */
  metadata: Record<string, string>;
}

export interface SerializedModel {
  /** The .onnx file, as chunks to write one after another. */
  model: Uint8Array[];
  /** The external data file (when used): its name relative to the model and chunks. */
  external?: { location: string; chunks: Uint8Array[] };
}

/** Protobuf refuses messages of 2 GiB or more; stay clear of it. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;
/** Offsets of external tensors are multiples of this (mmap-friendly). */
export const EXTERNAL_ALIGNMENT = 4096;
/** Tensors smaller than this stay inline even when the model uses external data. */
const EXTERNAL_MIN_BYTES = 1024;

export interface SerializeOptions {
  /** Force external data (tests); by default only when the model would pass the limit. */
  externalData?: boolean;
  /** File name of the external data, relative to the model file. */
  externalLocation?: string;
}

export function serializeModel(graph: Graph, header: ModelHeader, options: SerializeOptions = {}): SerializedModel {
  const weightBytes = graph.initializers.reduce((sum, t) => sum + t.data.byteLength, 0);
  const useExternal = options.externalData ?? weightBytes > PROTOBUF_LIMIT - 64 * 1024 * 1024;
  const location = options.externalLocation ?? `${graph.name}.onnx.data`;

  const external: Uint8Array[] = [];
  let externalLength = 0;
  const tensors: Uint8Array[] = [];
  for (const tensor of graph.initializers) {
    if (useExternal && tensor.data.byteLength >= EXTERNAL_MIN_BYTES) {
      const padding = (EXTERNAL_ALIGNMENT - (externalLength % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
      if (padding > 0) external.push(new Uint8Array(padding));
      const offset = externalLength + padding;
      external.push(tensor.data);
      externalLength = offset + tensor.data.byteLength;
      tensors.push(...lengthDelimited(GRAPH_INITIALIZER, [externalTensorHeader(tensor, location, offset)]));
    } else {
      tensors.push(...lengthDelimited(GRAPH_INITIALIZER, inlineTensor(tensor)));
    }
  }

  const graphFields = onnx.GraphProto.encode({
    name: graph.name,
    node: graph.nodes,
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
    valueInfo: graph.valueInfo.map(valueInfo),
  }).finish();
  const modelFields = onnx.ModelProto.encode({
    irVersion: header.irVersion,
    opsetImport: [{ domain: "", version: header.opset }],
    producerName: "motc",
    producerVersion: header.producerVersion,
    metadataProps: Object.keys(header.metadata).sort().map((key) => ({ key, value: header.metadata[key] })),
  }).finish();

  const model = coalesce([modelFields, ...lengthDelimited(MODEL_GRAPH, [graphFields, ...tensors])]);
  const modelBytes = model.reduce((sum, c) => sum + c.byteLength, 0);
  if (modelBytes > PROTOBUF_LIMIT) {
    const hint = useExternal ? "even with its weights in external data" : "over protobuf's 2 GB limit; write it with external data (lowerToOnnxFiles)";
    throw new Error(`the ONNX model is ${modelBytes} bytes, ${hint}`);
  }
  return useExternal ? { model, external: { location, chunks: external } } : { model };
}

/** Joins runs of small chunks (tensor headers, small tensors) so a writer makes few system calls; large ones stay views. */
function coalesce(chunks: Uint8Array[]): Uint8Array[] {
  const SMALL = 64 * 1024;
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  const flush = () => {
    if (run.length > 0) out.push(run.length === 1 ? run[0] : concatChunks(run));
    run = [];
  };
  for (const chunk of chunks) {
    if (chunk.byteLength < SMALL) {
      run.push(chunk);
    } else {
      flush();
      out.push(chunk);
    }
  }
  flush();
  return out;
}

/** Joins chunks into one buffer (for callers that want the file in memory). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks as Uint8Array[]);
}

// Field numbers in onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const WIRE_LENGTH_DELIMITED = 2;

function inlineTensor(tensor: Initializer): Uint8Array[] {
  const header = onnx.TensorProto.encode({ dims: tensor.dims, dataType: tensor.dataType, name: tensor.name }).finish();
  return [header, ...lengthDelimited(TENSOR_RAW_DATA, [tensor.data])];
}

function externalTensorHeader(tensor: Initializer, location: string, offset: number): Uint8Array {
  return onnx.TensorProto.encode({
    dims: tensor.dims,
    dataType: tensor.dataType,
    name: tensor.name,
    externalData: [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(tensor.data.byteLength) },
    ],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
  }).finish();
}

/** A field's tag and length followed by its body chunks (the body is not copied). */
function lengthDelimited(field: number, body: Uint8Array[]): Uint8Array[] {
  const length = body.reduce((sum, c) => sum + c.byteLength, 0);
  return [Uint8Array.from([...varint(field * 8 + WIRE_LENGTH_DELIMITED), ...varint(length)]), ...body];
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function valueInfo(info: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: info.dataType,
        shape: { dim: info.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
