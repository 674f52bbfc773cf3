// ONNX logits through onnxruntime-node against the float64 reference of
// SEMANTICS.md (test/reference), for every spec, at batch 1, 3 and a batch no
// MoT group divides (the leftover group).
import assert from "node:assert/strict";
import { test } from "node:test";
import { initialWeights } from "../../src/ir/init.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { referenceLogits } from "../reference/forward.js";
import { specModels } from "./models.js";
import { cpuSession, maxAbsDifference, randomIds, runLogits, strongRouting, unevenBatch } from "./ort.js";

const TOLERANCE = 1e-4;

for (const { label, model } of specModels()) {
  if (model.sublayers.some((layer) => layer.kind === "moe")) {
    test(`${label}: ONNX logits match the float64 reference`, (t) => t.skip("moe has no ONNX lowering yet (issue 6)"));
    continue;
  }
  test(`${label}: ONNX logits match the float64 reference`, async (t) => {
    const weights = strongRouting(model, initialWeights(model, 7));
    const session = await cpuSession(lowerToOnnx(model, weights));
    const large = model.vocab * model.dModel > 1e6; // the paper model: keep the JS reference short
    const uneven = unevenBatch(model);
    for (const [batch, length] of [[1, large ? 8 : 12], [3, large ? 8 : 12], [uneven, large ? 4 : 12]]) {
      const ids = randomIds(model.vocab, batch, length, batch);
      const difference = maxAbsDifference(await runLogits(session, ids), referenceLogits(model, weights, ids));
      t.diagnostic(`B=${batch} T=${length}: max |ONNX − reference| = ${difference.toExponential(2)}`);
      assert.ok(difference <= TOLERANCE, `B=${batch} T=${length}: max abs difference ${difference} > ${TOLERANCE}`);
    }
    await session.release();
  });
}
