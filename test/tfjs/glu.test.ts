// The gated feed-forward's training lowering: logits against the float64
// reference at 1e-5 on the cpu backend (specs/glu.mot runs on wasm in
// wasm.test.ts like every spec; its gradients against finite differences are in
// gradients.test.ts, model "gated").
import { test } from "node:test";
import { gluModel } from "../support/glu.js";
import { checkLogits } from "./forward.js";
import { backend } from "./support.js";

const tf = await backend("cpu");

for (const activation of ["silu", "gelu"] as const) {
  test(`cpu: glu(activation = ${activation}) logits equal the float64 reference to 1e-5`, (t) => {
    for (const line of checkLogits(tf, gluModel(activation), [[1, 8], [3, 5]], 4, 1e-5)) t.diagnostic(line);
  });
}
