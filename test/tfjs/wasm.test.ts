// The training backend used here, wasm: logits against the float64 reference for
// every spec model (the paper's included), gradients against finite differences
// for MoT with a leftover group and learned temperature, and determinism.
import assert from "node:assert/strict";
import { test } from "node:test";
import { initialWeights } from "../../src/ir/init.js";
import { createTrainingGraph } from "../../src/tfjs/index.js";
import { specModels } from "../onnx/models.js";
import { checkLogits, unevenBatch } from "./forward.js";
import { checkGradients } from "./gradients.js";
import { backend, gradientModels, randomIds } from "./support.js";

const tf = await backend("wasm");

for (const { label, model } of specModels()) {
  if (!label.startsWith("specs/")) continue; // fixtures repeat these layer kinds
  // The paper models (vocab 50257, d 256, 512 experts) cost seconds per row in the JS
  // reference: mot_paper runs a short uneven batch (33 rows, groups of 32 → a leftover
  // group of 1); dense_paper has only layer kinds tiny_dense already checks.
  const large = model.vocab * model.dModel > 1e6;
  if (large && !model.sublayers.some((layer) => layer.kind === "mot")) continue;
  const runs: Array<[number, number]> = large ? [[3, 2], [unevenBatch(model), 1]] : [[1, 8], [3, 8], [unevenBatch(model), 8]];
  test(`wasm: ${label} logits match the reference`, (t) => {
    for (const line of checkLogits(tf, model, runs, 5)) t.diagnostic(line);
  });
}

for (const model of gradientModels().slice(0, 2)) {
  test(`wasm: ${model.name} gradients match finite differences (batch 5)`, (t) => {
    const report = checkGradients(tf, model, 5, 4, 8);
    t.diagnostic(`${report.checked} elements checked; closest to the tolerance: ${report.worst}`);
  });
}

test("wasm: same weights and inputs give bit-identical loss, gradients and logits", () => {
  const model = specModels().find((m) => m.model.name === "tiny")!.model;
  const weights = initialWeights(model, 3);
  const ids = randomIds(model.vocab, 6, 16, 1);
  const targets = randomIds(model.vocab, 6, 16, 2);
  const run = () => {
    const graph = createTrainingGraph(tf, model, weights);
    try {
      const out: number[] = [];
      tf.tidy(() => {
        const idsTensor = tf.tensor2d(ids, [6, 16], "int32");
        const { value, grads } = tf.variableGrads(() => graph.loss(idsTensor, tf.tensor2d(targets, [6, 16], "int32")));
        out.push(value.dataSync()[0]);
        for (const name of Object.keys(grads).sort()) out.push(...grads[name].dataSync());
        out.push(...graph.logits(idsTensor).dataSync());
      });
      // readWeights gives back exactly what went in, by parameter name.
      const read = graph.readWeights();
      assert.deepEqual([...read.keys()], [...weights.keys()]);
      for (const [name, values] of weights) assert.deepEqual(read.get(name), values);
      return out;
    } finally {
      graph.dispose();
    }
  };
  const first = run();
  assert.ok(first.length > 100_000 && first.every(Number.isFinite));
  assert.deepEqual(run(), first);
});
