// A small hand-built decoder in ONNX, independent of src/onnx/: embedding with
// learned positions, one causal attention layer (optionally in the KV-cache form
// SEMANTICS.md defines) and a tied head. The run/generate tests use it so they
// test src/run/ on a known graph, whatever the lowering does.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { Random } from "../../src/ir/random.js";

const { onnx } = onnxProto;

export interface ToyOptions {
  vocab?: number;
  dModel?: number;
  heads?: number;
  context?: number;
  kvCache?: boolean;
  /** Write motc's metadata_props (false: an anonymous ONNX model). */
  metadata?: boolean;
  seed?: number;
}

const FLOAT = 1;
const INT64 = 7;

export function buildToyModel(options: ToyOptions = {}): Uint8Array {
  const vocab = options.vocab ?? 256;
  const d = options.dModel ?? 16;
  const heads = options.heads ?? 2;
  const context = options.context ?? 24;
  const kv = options.kvCache ?? true;
  const headDim = d / heads;
  const random = (name: string, size: number, std: number) => {
    const r = new Random(options.seed ?? 1, name);
    return Float32Array.from({ length: size }, () => r.normal() * std);
  };
  const embed = random("embed", vocab * d, 0.3);
  const unembed = new Float32Array(d * vocab);
  for (let v = 0; v < vocab; v++) for (let i = 0; i < d; i++) unembed[i * vocab + v] = embed[v * d + i];

  const initializer = [
    floats("E", [vocab, d], embed),
    floats("P", [context, d], random("position", context * d, 0.5)),
    floats("Wq", [d, d], random("wq", d * d, 0.5)),
    floats("Wk", [d, d], random("wk", d * d, 0.5)),
    floats("Wv", [d, d], random("wv", d * d, 0.5)),
    floats("Wo", [d, d], random("wo", d * d, 0.5)),
    floats("E_T", [d, vocab], unembed),
    floats("scale", [], Float32Array.of(1 / Math.sqrt(headDim))),
    floats("masked", [], Float32Array.of(-1e9)),
    ints("zero", [], [0]), ints("one", [], [1]), ints("two", [], [2]), ints("axis1", [1], [1]),
    ints("split_heads", [4], [0, 0, heads, headDim]), ints("merge_heads", [3], [0, 0, d]),
  ];
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) => ({ opType, input, output, attribute, name: output[0] });
  const perm = (values: number[]) => [{ name: "perm", type: 7, ints: values }];
  const nodes = [
    node("Gather", ["E", "input_ids"], ["tokens"]),
    node("Shape", ["input_ids"], ["ids_shape"]),
    node("Gather", ["ids_shape", "one"], ["T"]),
    kv ? node("Shape", ["past_key_values.0.key"], ["past_shape"]) : node("Identity", ["zero"], ["past_len"]),
    ...(kv ? [node("Gather", ["past_shape", "two"], ["past_len"])] : []),
    node("Add", ["past_len", "T"], ["end"]),
    node("Range", ["past_len", "end", "one"], ["positions"]),
    node("Gather", ["P", "positions"], ["pos_embed"]),
    node("Add", ["tokens", "pos_embed"], ["x"]),
    ...["q", "k", "v"].flatMap((n) => [
      node("MatMul", ["x", `W${n}`], [`${n}_flat`]),
      node("Reshape", [`${n}_flat`, "split_heads"], [`${n}_split`]),
      node("Transpose", [`${n}_split`], [kv && n !== "q" ? `${n}_new` : `${n}_heads`], perm([0, 2, 1, 3])),
    ]),
    ...(kv
      ? [
          node("Concat", ["past_key_values.0.key", "k_new"], ["k_heads"], [{ name: "axis", type: 2, i: 2 }]),
          node("Concat", ["past_key_values.0.value", "v_new"], ["v_heads"], [{ name: "axis", type: 2, i: 2 }]),
          node("Identity", ["k_heads"], ["present.0.key"]),
          node("Identity", ["v_heads"], ["present.0.value"]),
        ]
      : []),
    node("Transpose", ["k_heads"], ["k_t"], perm([0, 1, 3, 2])),
    node("MatMul", ["q_heads", "k_t"], ["raw_scores"]),
    node("Mul", ["raw_scores", "scale"], ["scores"]),
    node("Shape", ["k_heads"], ["k_shape"]),
    node("Gather", ["k_shape", "two"], ["S"]),
    node("Range", ["zero", "S", "one"], ["key_positions"]),
    node("Unsqueeze", ["positions", "axis1"], ["query_positions"]),
    node("LessOrEqual", ["key_positions", "query_positions"], ["allowed"]),
    node("Where", ["allowed", "scores", "masked"], ["causal_scores"]),
    node("Softmax", ["causal_scores"], ["probs"], [{ name: "axis", type: 2, i: -1 }]),
    node("MatMul", ["probs", "v_heads"], ["mixed"]),
    node("Transpose", ["mixed"], ["mixed_t"], perm([0, 2, 1, 3])),
    node("Reshape", ["mixed_t", "merge_heads"], ["attn"]),
    node("MatMul", ["attn", "Wo"], ["attn_out"]),
    node("Add", ["x", "attn_out"], ["residual"]),
    node("MatMul", ["residual", "E_T"], ["logits"]),
  ];
  const cacheDims = ["batch_size", heads, "past_sequence_length", headDim];
  const presentDims = ["batch_size", heads, "total_sequence_length", headDim];
  const input = [valueInfo("input_ids", INT64, ["batch_size", "sequence_length"])];
  const output = [valueInfo("logits", FLOAT, ["batch_size", "sequence_length", vocab])];
  if (kv) {
    input.push(valueInfo("past_key_values.0.key", FLOAT, cacheDims), valueInfo("past_key_values.0.value", FLOAT, cacheDims));
    output.push(valueInfo("present.0.key", FLOAT, presentDims), valueInfo("present.0.value", FLOAT, presentDims));
  }
  const metadataProps = options.metadata === false ? [] : [
    ["motc.version", "0.0.0-test"], ["motc.model", "toy"], ["motc.tokenizer", "bytes"],
    ["motc.context", String(context)], ["motc.vocab", String(vocab)], ["motc.kv_cache", String(kv)],
  ].map(([key, value]) => ({ key, value }));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "motc-test",
    graph: { name: "toy", node: nodes, initializer, input, output },
    metadataProps,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes a toy model into a fresh temporary directory and returns its path. */
export function writeToyModel(options: ToyOptions = {}, name = "toy.onnx"): string {
  const path = join(scratchDir("motc-run-"), name);
  writeFileSync(path, buildToyModel(options));
  return path;
}

/** A temporary directory removed when the test process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function floats(name: string, dims: number[], values: Float32Array) {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function ints(name: string, dims: number[], values: number[]) {
  const data = BigInt64Array.from(values.map(BigInt));
  return { name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]) {
  const dim = dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}
