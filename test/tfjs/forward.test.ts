// tfjs logits on the cpu backend against the float64 reference, for every model
// of specs/ (the paper model runs in wasm.test.ts: the cpu backend is too slow).
import { test } from "node:test";
import { specModels } from "../onnx/models.js";
import { checkLogits, unevenBatch } from "./forward.js";
import { backend } from "./support.js";

const tf = await backend("cpu");

for (const { label, model } of specModels()) {
  if (model.vocab * model.dModel > 1e6) continue; // the paper models: checked on wasm
  test(`cpu: ${label} logits match the reference`, (t) => {
    const length = Math.min(8, model.context);
    for (const line of checkLogits(tf, model, [[1, length], [3, length], [unevenBatch(model), length]], 11)) t.diagnostic(line);
  });
}
