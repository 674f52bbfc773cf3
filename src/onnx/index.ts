// IR → ONNX: the entry point. Builds the inference graph of SEMANTICS.md
// ("ONNX inference graph") layer by layer and serializes it.
//
//   inputs:  input_ids int64 [batch_size, sequence_length]
//            past_key_values.{n}.key|value float32 [batch_size, heads_n, past_sequence_length, dh_n]  (kvCache)
//   outputs: logits float32 [batch_size, sequence_length, vocab]
//            present.{n}.key|value float32 [batch_size, heads_n, total_sequence_length, dh_n]          (kvCache)
// n counts attention layers in stack order. Prefill passes an empty past (length 0).
import type { Weights } from "../ir/init.js";
import type { ModelIR } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";
import { withoutMixing, type NoMixMode } from "../ir/nomix.js";
import { defaultTokenizerFor, type TokenizerName } from "../base/tokenizer.js";
import { UserError } from "../base/errors.js";
import { version } from "../base/version.js";
import { BATCH, DataType, GraphBuilder, PAST, SEQUENCE, TOTAL, type Graph } from "./builder.js";
import { Lowering } from "./context.js";
import { lowerEmbedding } from "./embed.js";
import { toFloat16 } from "./float16.js";
import { lowerHead } from "./head.js";
import { onnxLowering } from "./layers.js";
import { lowerNorm } from "./norm.js";
import { concatChunks, serializeModel, type SerializedModel, type SerializeOptions } from "./writer.js";

export interface OnnxOptions extends SerializeOptions {
  /** ONNX opset, 17 (default) or later. */
  opset?: number;
  /** Add past_key_values inputs and present outputs (the decoder form). */
  kvCache?: boolean;
  /** Store the weights as float16; they are cast to float32 once at load, and all compute stays float32. */
  fp16?: boolean;
  /** The .mot source, recorded as `motc.spec`. */
  specText?: string;
  tokenizer?: TokenizerName;
  /** Lower every MoT layer without mixing across sequences (src/ir/nomix.ts); recorded as `motc.no_mix`. */
  noMix?: NoMixMode;
}

export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 17;
/** The newest opset this lowering has been run against (onnxruntime 1.30). */
export const MAX_OPSET = 22;

/** The IR version that goes with each opset (onnx/docs/Versioning.md). */
export function irVersionFor(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** The .onnx file as one buffer (weights always inline; models over 2 GB need lowerToOnnxFiles). */
export function lowerToOnnx(model: ModelIR, weights: Weights, options: OnnxOptions = {}): Uint8Array {
  const serialized = lowerToOnnxFiles(model, weights, { ...options, externalData: false });
  return concatChunks(serialized.model);
}

/** The .onnx file (and external data when needed) as chunks that view the weights without copying them. */
export function lowerToOnnxFiles(model: ModelIR, weights: Weights, options: OnnxOptions = {}): SerializedModel {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UserError("MOT400", [opset, MIN_OPSET, MAX_OPSET]);
  }
  const graph = buildGraph(options.noMix ? withoutMixing(model, options.noMix) : model, weights, opset, options);
  return serializeModel(graph, { irVersion: irVersionFor(opset), opset, producerVersion: version, metadata: metadata(model, options) }, options);
}

export function buildGraph(model: ModelIR, weights: Weights, opset: number, options: Pick<OnnxOptions, "kvCache" | "fp16"> = {}): Graph {
  const b = new GraphBuilder(opset);
  const ids = b.input("input_ids", DataType.INT64, [BATCH, SEQUENCE]);
  const attention = attentionLayers(model);
  let pastLength: string | undefined;
  if (options.kvCache) {
    if (attention.length === 0) throw new UserError("MOT401", [model.name]);
    // Decoding one token at a time is only the full-sequence model when no position sees later ones.
    const bidirectional = attention.find((layer) => !layer.causal);
    if (bidirectional) throw new UserError("MOT402", [bidirectional.index]);
    attention.forEach((layer, n) => {
      for (const part of ["key", "value"]) {
        b.input(`past_key_values.${n}.${part}`, DataType.FLOAT, [BATCH, layer.heads, PAST, layer.headDim]);
      }
    });
    pastLength = b.scoped("past_length", () => b.dim("past_key_values.0.key", 2));
  }

  const ctx = new Lowering(b, model, ids, addParameters(b, model, weights, options.fp16 ?? false), pastLength);
  let x = lowerEmbedding(ctx);
  for (const layer of model.sublayers) {
    x = b.scoped(`layers.${layer.index}`, () => b.add(x, onnxLowering(layer)(ctx, lowerNorm(ctx, x, `layers.${layer.index}.norm`), layer)));
  }
  lowerHead(ctx, x, "logits");

  b.output("logits", DataType.FLOAT, [BATCH, SEQUENCE, model.vocab]);
  if (options.kvCache) {
    attention.forEach((layer, n) => {
      for (const part of ["key", "value"]) {
        b.output(`present.${n}.${part}`, DataType.FLOAT, [BATCH, layer.heads, TOTAL, layer.headDim]);
      }
    });
  }
  return b.build(model.name);
}

/** Adds every parameter as an initializer, in parameter-table order; returns name → float32 value. */
function addParameters(b: GraphBuilder, model: ModelIR, weights: Weights, fp16: boolean): Map<string, string> {
  const values = new Map<string, string>();
  for (const spec of parameterTable(model)) {
    const data = weights.get(spec.name);
    if (!data) throw new UserError("MOT320", [spec.name]);
    if (data.length !== paramCount(spec.shape)) {
      throw new UserError("MOT321", [spec.name, data.length, String(spec.shape), paramCount(spec.shape)]);
    }
    if (fp16) {
      const half = toFloat16(data);
      b.initializer(spec.name, spec.shape, DataType.FLOAT16, new Uint8Array(half.buffer, half.byteOffset, half.byteLength));
      values.set(spec.name, b.node("Cast", [spec.name], { to: DataType.FLOAT }, `${spec.name}/float32`));
    } else {
      values.set(spec.name, b.initializer(spec.name, spec.shape, DataType.FLOAT, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    }
  }
  return values;
}

function attentionLayers(model: ModelIR) {
  return model.sublayers.filter((layer) => layer.kind === "attention");
}

/** metadata_props: enough for a runtime to tokenize, check lengths and build an empty KV cache. */
function metadata(model: ModelIR, options: OnnxOptions): Record<string, string> {
  const attention = attentionLayers(model);
  return {
    "motc.version": version,
    "motc.model": model.name,
    "motc.spec": options.specText ?? "",
    "motc.tokenizer": options.tokenizer ?? defaultTokenizerFor(model.vocab),
    "motc.context": String(model.context),
    "motc.vocab": String(model.vocab),
    "motc.kv_cache": options.kvCache ? "true" : "false",
    "motc.fp16": options.fp16 ? "true" : "false",
    "motc.no_mix": options.noMix ?? "false",
    "motc.attention_layers": String(attention.length),
    "motc.heads": attention.map((layer) => layer.heads).join(","),
    "motc.head_dim": attention.map((layer) => layer.headDim).join(","),
  };
}
