// Forward truth: tfjs logits against the float64 reference of SEMANTICS.md
// (test/reference) for the models of specs/ at batch 1, 3 and a batch no MoT
// group divides.
import assert from "node:assert/strict";
import type { ModelIR } from "../../src/ir/model.js";
import { createTrainingGraph, type TF } from "../../src/tfjs/index.js";
import { referenceLogits } from "../reference/forward.js";
import { maxAbsDifference, randomIds, strongWeights } from "./support.js";

export const TOLERANCE = 1e-4;

/** The smallest batch above every group that no MoT group (> 1) divides. */
export function unevenBatch(model: ModelIR): number {
  const groups = model.sublayers.flatMap((layer) => (layer.kind === "mot" && layer.group > 1 ? [layer.group] : []));
  if (groups.length === 0) return 5;
  const largest = Math.max(...groups);
  for (let batch = largest + 1; ; batch++) if (groups.every((g) => batch % g !== 0)) return batch;
}

/** Runs the tfjs graph and the reference for each [batch, length]; returns one line per run. */
export function checkLogits(tf: TF, model: ModelIR, runs: Array<[number, number]>, seed: number, tolerance = TOLERANCE): string[] {
  const weights = strongWeights(model, seed);
  const graph = createTrainingGraph(tf, model, weights);
  const lines: string[] = [];
  try {
    for (const [batch, length] of runs) {
      const ids = randomIds(model.vocab, batch, length, seed + batch);
      const logits = tf.tidy(() => graph.logits(tf.tensor2d(ids, [batch, length], "int32")));
      assert.deepEqual(logits.shape, [batch, length, model.vocab]);
      const values = logits.dataSync();
      logits.dispose();
      const difference = maxAbsDifference(values, referenceLogits(model, weights, ids));
      lines.push(`B=${batch} T=${length}: max |tfjs − reference| = ${difference.toExponential(2)}`);
      assert.ok(difference <= tolerance, `${model.name} B=${batch} T=${length}: max abs difference ${difference} > ${tolerance}`);
    }
  } finally {
    graph.dispose();
  }
  return lines;
}
