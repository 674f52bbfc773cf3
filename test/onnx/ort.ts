// Running compiled models in tests: onnxruntime-node on the CPU, quiet, and
// helpers to build ids and weights that exercise MoT's routing.
import * as ort from "onnxruntime-node";
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";

export { maxAbsDifference, randomIds } from "../support/numbers.js";

export async function cpuSession(model: Uint8Array | string): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, executionProviders: ["cpu"], intraOpNumThreads: 1 };
  return typeof model === "string" ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

export function idsTensor(ids: number[][]): ort.Tensor {
  const flat = BigInt64Array.from(ids.flat().map((id) => BigInt(id)));
  return new ort.Tensor("int64", flat, [ids.length, ids[0].length]);
}

export async function runLogits(session: ort.InferenceSession, ids: number[][]): Promise<Float32Array> {
  const result = await session.run({ input_ids: idsTensor(ids) });
  return result.logits.data as Float32Array;
}

/**
 * Copies `weights` with every MoT controller scaled so the controller logits
 * have a standard deviation near 2: at initialisation they are ~0.02·√d and the
 * group softmax would be nearly uniform, which would hide routing bugs.
 */
export function strongRouting(model: ModelIR, weights: Weights): Weights {
  const scaled: Weights = new Map(weights);
  for (const layer of model.sublayers) {
    if (layer.kind !== "mot") continue;
    const name = `layers.${layer.index}.mot.controller`;
    const factor = 2 / (0.02 * Math.sqrt(model.dModel));
    scaled.set(name, weights.get(name)!.map((v) => v * factor));
  }
  return scaled;
}

/** The smallest batch above every group (and above 3) that no MoT group (> 1) divides. */
export function unevenBatch(model: ModelIR): number {
  const groups = model.sublayers.flatMap((layer) => (layer.kind === "mot" && layer.group > 1 ? [layer.group] : []));
  if (groups.length === 0) return 5;
  const largest = Math.max(...groups);
  for (let batch = Math.max(largest + 1, 4); ; batch++) if (groups.every((g) => batch % g !== 0)) return batch;
}
