// ONNX logits through onnxruntime-node against the float64 reference of
// SEMANTICS.md (test/reference), for every spec, at batch 1, 3 and a batch no
// MoT group divides (the leftover group).
import assert from "node:assert/strict";
import { test } from "node:test";
import { initialWeights, type Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { referenceLogits } from "../reference/forward.js";
import { distinctModels, specModels } from "./models.js";
import { cpuSession, maxAbsDifference, randomIds, runLogits, strongRouting, unevenBatch } from "./ort.js";

const TOLERANCE = 1e-4;

for (const { label, model, sameAs } of distinctModels(specModels())) {
  // A model another spec also defines (a respelling) is compared once, under its first label.
  if (sameAs) continue;
  test(`${label}: ONNX logits match the float64 reference`, async (t) => {
    const weights = strongRouting(model, initialWeights(model, 7));
    const session = await cpuSession(lowerToOnnx(model, weights));
    // The paper model: short sequences keep the plain-JS reference to seconds.
    const large = model.vocab * model.dModel > 1e6;
    const shapes = large ? [[1, 6], [3, 4], [unevenBatch(model), 2]] : [[1, 12], [3, 12], [unevenBatch(model), 12]];
    for (const [batch, length] of shapes) {
      const ids = randomIds(model.vocab, batch, length, batch);
      const difference = maxAbsDifference(await runLogits(session, ids), referenceLogits(model, weights, ids));
      t.diagnostic(`B=${batch} T=${length}: max |ONNX − reference| = ${difference.toExponential(2)}`);
      assert.ok(difference <= TOLERANCE, `B=${batch} T=${length}: max abs difference ${difference} > ${TOLERANCE}`);
      if (!large && batch > 3) assertRoutingMatters(model, weights, ids, await runLogits(session, ids));
    }
    await session.release();
  });
}

/**
 * The comparison has power: a reference whose MoT groups are one row larger (a
 * different grouping of the batch) is far from the ONNX logits.
 */
function assertRoutingMatters(model: ModelIR, weights: Weights, ids: number[][], logits: Float32Array): void {
  if (!model.sublayers.some((layer) => layer.kind === "mot" && layer.group > 1)) return;
  const regrouped: ModelIR = {
    ...model,
    sublayers: model.sublayers.map((layer) => (layer.kind === "mot" && layer.group > 1 ? { ...layer, group: layer.group + 1 } : layer)),
  };
  const difference = maxAbsDifference(logits, referenceLogits(regrouped, weights, ids));
  assert.ok(difference > 10 * TOLERANCE, `regrouping the batch moved the reference logits by only ${difference}`);
}
