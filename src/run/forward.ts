// One forward pass of a compiled model: ids in, logits (and the KV cache) out.
// Works on both forms SEMANTICS.md defines: the plain graph (`input_ids` →
// `logits`) and the decoder form with `past_key_values.{n}.key|value` inputs and
// `present.{n}.key|value` outputs, which a full-sequence run feeds an empty past.
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { UserError } from "../base/errors.js";
import { idsData, validateBatch, type Batch, type InputLimits } from "./inputs.js";
import { loadOrt, type RunSession } from "./session.js";

/** One attention layer's cache: keys and values [B, heads, past, headDim]. */
export interface CacheLayer {
  key: Tensor;
  value: Tensor;
}

export interface ForwardResult {
  /** float32 [B, T, vocab], row-major. */
  logits: Float32Array;
  dims: [number, number, number];
  /** The cache after this step (decoder form only), one entry per attention layer. */
  present?: CacheLayer[];
}

/** Heads and head width of each attention layer's cache, from the model's inputs. */
export interface CacheShape {
  heads: number;
  headDim: number;
}

/** The decoder form's cache layout, or undefined for a model without `past_key_values` inputs. */
export function cacheShapes(run: RunSession): CacheShape[] | undefined {
  const shapes: CacheShape[] = [];
  const inputs = new Map(run.session.inputMetadata.map((m) => [m.name, m]));
  for (let n = 0; inputs.has(`past_key_values.${n}.key`); n++) {
    const meta = inputs.get(`past_key_values.${n}.key`)!;
    const shape = meta.isTensor ? meta.shape : [];
    const heads = typeof shape[1] === "number" ? shape[1] : metadataNumber(run, "motc.heads", n);
    const headDim = typeof shape[3] === "number" ? shape[3] : metadataNumber(run, "motc.head_dim", n);
    if (heads === undefined || headDim === undefined) {
      throw new UserError("MOT422", [run.info.path, n]);
    }
    shapes.push({ heads, headDim });
  }
  return shapes.length > 0 ? shapes : undefined;
}

/** Entry `n` of a comma-separated per-attention-layer list in the metadata (`motc.heads = "4,4"`). */
function metadataNumber(run: RunSession, key: string, n: number): number | undefined {
  const value = Number(run.info.metadata.get(key)?.split(",")[n]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The model's vocabulary and context: motc metadata first, else the graph's static shapes. */
export function inputLimits(run: RunSession): InputLimits {
  const logits = run.session.outputMetadata.find((m) => m.name === "logits");
  const staticVocab = logits?.isTensor && typeof logits.shape[2] === "number" ? logits.shape[2] : undefined;
  return { vocab: run.info.vocab ?? staticVocab, context: run.info.context };
}

/** An empty cache for a batch of `batch` sequences (the prefill step's past). */
export async function emptyCache(shapes: readonly CacheShape[], batch: number): Promise<CacheLayer[]> {
  const ort = await loadOrt();
  return shapes.map(({ heads, headDim }) => ({
    key: new ort.Tensor("float32", new Float32Array(0), [batch, heads, 0, headDim]),
    value: new ort.Tensor("float32", new Float32Array(0), [batch, heads, 0, headDim]),
  }));
}

/**
 * Runs `batch` (validated against the model's limits, counting `past` positions
 * toward the context). Decoder-form models get `past`, or an empty cache.
 */
export async function forward(run: RunSession, batch: Batch, past?: CacheLayer[]): Promise<ForwardResult> {
  if (!run.session.inputNames.includes("input_ids")) {
    throw new UserError("MOT420", [run.info.path, run.session.inputNames.join(", ")]);
  }
  const limits = inputLimits(run);
  const pastLength = past && past.length > 0 ? Number(past[0].key.dims[2]) : 0;
  validateBatch(batch, { ...limits, context: limits.context === undefined ? undefined : limits.context - pastLength });
  const ort = await loadOrt();
  const { data, dims } = idsData(batch);
  const feeds: Record<string, Tensor> = { input_ids: new ort.Tensor("int64", data, dims) };
  const shapes = cacheShapes(run);
  if (shapes) {
    const cache = past ?? (await emptyCache(shapes, batch.length));
    cache.forEach((layer, n) => {
      feeds[`past_key_values.${n}.key`] = layer.key;
      feeds[`past_key_values.${n}.value`] = layer.value;
    });
  } else if (past) {
    throw new UserError("MOT423", [run.info.path]);
  }
  let outputs: InferenceSession.ReturnType;
  try {
    outputs = await run.session.run(feeds);
  } catch (error) {
    throw new UserError("MOT424", [run.info.path, (error instanceof Error ? error.message : String(error)).split("\n")[0]]);
  }
  const logits = outputs.logits;
  if (!logits || logits.type !== "float32" || logits.dims.length !== 3) {
    throw new UserError("MOT421", [run.info.path]);
  }
  const result: ForwardResult = { logits: logits.data as Float32Array, dims: logits.dims as [number, number, number] };
  if (shapes) {
    result.present = shapes.map((_, n) => ({ key: outputs[`present.${n}.key`], value: outputs[`present.${n}.value`] }) as CacheLayer);
  }
  return result;
}

export interface Prediction {
  id: number;
  probability: number;
  logit: number;
}

/** The `n` most likely next tokens at position `t` of sequence `b` (softmax in float64). */
export function topPredictions(result: ForwardResult, b: number, t: number, n: number): Prediction[] {
  const [, length, vocab] = result.dims;
  const row = result.logits.subarray((b * length + t) * vocab, (b * length + t + 1) * vocab);
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const order = Array.from(row.keys()).sort((i, j) => row[j] - row[i] || i - j);
  return order.slice(0, n).map((id) => ({ id, logit: row[id], probability: Math.exp(row[id] - max) / sum }));
}
