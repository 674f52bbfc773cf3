// Every layer kind's tfjs gradients on the cpu backend against finite
// differences of the float64 reference: causal and bidirectional attention (with
// and without biases), layernorm and rmsnorm, MoT with leftover groups (batch 5,
// groups of 2, 3 and 8) and fixed and learnable temperature, ff relu and gelu,
// glu with silu and gelu, learned/sinusoidal/no positions, tied and untied heads.
import { test } from "node:test";
import { checkGradients } from "./gradients.js";
import { backend, gradientModels } from "./support.js";

const tf = await backend("cpu");

for (const model of gradientModels()) {
  test(`cpu: ${model.name} gradients match finite differences (batch 5)`, (t) => {
    const report = checkGradients(tf, model, 5, 4, 3);
    t.diagnostic(`${report.checked} elements checked; closest to the tolerance: ${report.worst}`);
  });
}
