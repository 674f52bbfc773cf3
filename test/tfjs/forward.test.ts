// tfjs logits on the cpu backend against the float64 reference, for every model
// of specs/ (the paper model runs in wasm.test.ts: the cpu backend is too slow).
import { test } from "node:test";
import { specModels } from "../onnx/models.js";
import { checkLogits } from "./forward.js";
import { backend } from "./support.js";

const tf = await backend("cpu");

for (const { label, model } of specModels()) {
  if (model.sublayers.some((layer) => layer.kind === "moe")) {
    test(`cpu: ${label} logits match the reference`, (t) => t.skip("moe has no tfjs lowering yet (issue 6)"));
    continue;
  }
  if (model.vocab * model.dModel > 1e6) continue; // mot_paper: checked on wasm
  test(`cpu: ${label} logits match the reference`, (t) => {
    for (const line of checkLogits(tf, model, Math.min(8, model.context), 11)) t.diagnostic(line);
  });
}
