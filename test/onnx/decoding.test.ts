// The decoder form (KV cache) and causality: step-by-step decoding gives the
// full-sequence logits, and tokens after position t never change logits at ≤ t.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { initialWeights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import type { AttentionLayer } from "../../src/ir/layers/attention.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { specModels } from "./models.js";
import { cpuSession, idsTensor, maxAbsDifference, randomIds, runLogits, strongRouting, unevenBatch } from "./ort.js";

const TOLERANCE = 1e-4;
const LENGTH = 10;
const PREFILL = 4;

const attentionLayers = (model: ModelIR) => model.sublayers.filter((l): l is AttentionLayer => l.kind === "attention");
const isCausal = (model: ModelIR) => attentionLayers(model).every((layer) => layer.causal);
// The paper model's logits are checked against the reference elsewhere; here it
// would only add seconds, so the decoding tests use the small models.
const small = specModels().filter(({ model }) => model.vocab * model.dModel <= 1e6);

for (const { label, model } of small.filter(({ model }) => isCausal(model) && attentionLayers(model).length > 0)) {
  test(`${label}: KV-cache decoding step by step equals the full-sequence logits`, async (t) => {
    const weights = strongRouting(model, initialWeights(model, 3));
    const full = await cpuSession(lowerToOnnx(model, weights));
    const decoder = await cpuSession(lowerToOnnx(model, weights, { kvCache: true }));
    const batch = unevenBatch(model);
    const ids = randomIds(model.vocab, batch, LENGTH, 11);
    const expected = await runLogits(full, ids);

    const layers = attentionLayers(model);
    let past: Record<string, ort.Tensor> = {};
    layers.forEach((layer, n) => {
      for (const part of ["key", "value"]) past[`past_key_values.${n}.${part}`] = new ort.Tensor("float32", new Float32Array(0), [batch, layer.heads, 0, layer.headDim]);
    });
    const vocab = model.vocab;
    const stepped = new Float32Array(batch * LENGTH * vocab);
    const steps = [[0, PREFILL], ...Array.from({ length: LENGTH - PREFILL }, (_, i) => [PREFILL + i, PREFILL + i + 1])];
    for (const [start, end] of steps) {
      const result = await decoder.run({ input_ids: idsTensor(ids.map((row) => row.slice(start, end))), ...past });
      const logits = result.logits.data as Float32Array;
      for (let b = 0; b < batch; b++) {
        stepped.set(logits.subarray(b * (end - start) * vocab, (b + 1) * (end - start) * vocab), (b * LENGTH + start) * vocab);
      }
      past = {};
      layers.forEach((_, n) => {
        for (const part of ["key", "value"]) {
          const present = result[`present.${n}.${part}`];
          assert.deepEqual(present.dims.slice(0, 3), [batch, layers[n].heads, end]);
          past[`past_key_values.${n}.${part}`] = present;
        }
      });
    }
    const difference = maxAbsDifference(stepped, expected);
    t.diagnostic(`B=${batch}, prefill ${PREFILL} then ${LENGTH - PREFILL} single steps: max difference ${difference.toExponential(2)}`);
    assert.ok(difference <= TOLERANCE, `step-by-step logits differ by ${difference}`);
    await Promise.all([full.release(), decoder.release()]);
  });
}

for (const { label, model } of small.filter(({ model }) => isCausal(model))) {
  test(`${label}: changing tokens after position t never changes the logits at ≤ t`, async () => {
    const weights = strongRouting(model, initialWeights(model, 5));
    const session = await cpuSession(lowerToOnnx(model, weights));
    const batch = unevenBatch(model);
    const ids = randomIds(model.vocab, batch, LENGTH, 2);
    const before = await runLogits(session, ids);
    const vocab = model.vocab;
    for (const position of [0, 4, LENGTH - 2]) {
      const changed = ids.map((row) => row.map((id, s) => (s > position ? (id + 1 + s) % vocab : id)));
      const after = await runLogits(session, changed);
      let upTo = 0;
      let later = 0;
      for (let b = 0; b < batch; b++) {
        for (let s = 0; s < LENGTH; s++) {
          const offset = (b * LENGTH + s) * vocab;
          const difference = maxAbsDifference(before.subarray(offset, offset + vocab), after.subarray(offset, offset + vocab));
          if (s <= position) upTo = Math.max(upTo, difference);
          else later = Math.max(later, difference);
        }
      }
      assert.equal(upTo, 0, `changing tokens after ${position} changed logits at ≤ ${position} by ${upTo}`);
      assert.ok(later > 1e-3, `changing tokens after ${position} should change later logits (changed by ${later})`);
    }
    await session.release();
  });
}
