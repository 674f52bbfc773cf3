// moe in tfjs (src/tfjs/moe.ts): inference logits against the float64 reference
// for both routings at batch 1, 3 and 5 (groups of 4 leave a group of 1), the
// routing conventions on hand-made probabilities, the training-time capacity
// drop and auxiliary loss on a hand-built case, gradients of the loss (aux loss
// and drops included) against finite differences, and the same on wasm.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import type { ExpertChoiceLayer, MixtureOfExpertsLayer, TokenChoiceLayer } from "../../src/ir/layers/moe.js";
import { parameterTable } from "../../src/ir/params.js";
import { Random } from "../../src/ir/random.js";
import { createTrainingGraph, selectBackend, type TF } from "../../src/tfjs/index.js";
import { expertChoiceRouting, tokenChoiceRouting } from "../../src/tfjs/moe.js";
import { referenceLogits } from "../reference/forward.js";
import { moeSpecModel, oneExpertModel, strongMoe, withMoe, withoutExperts } from "../support/moe.js";
import { backend, maxAbsDifference, randomIds, strongWeights } from "./support.js";

const TOLERANCE = 1e-4;
const LENGTH = 6;

let tf = await backend("cpu");

function tfjsLogits(model: ModelIR, weights: Weights, ids: number[][], training: boolean): Float32Array {
  const graph = createTrainingGraph(tf, model, weights);
  try {
    return tf.tidy(() => graph.logits(tf.tensor2d(ids, [ids.length, ids[0].length], "int32"), training).dataSync() as Float32Array);
  } finally {
    graph.dispose();
  }
}

function checkInference(model: ModelIR, weights: Weights, batches: number[]): string[] {
  return batches.map((batch) => {
    const ids = randomIds(model.vocab, batch, LENGTH, 60 + batch);
    const difference = maxAbsDifference(tfjsLogits(model, weights, ids, false), referenceLogits(model, weights, ids));
    assert.ok(difference <= TOLERANCE, `B=${batch}: max abs difference ${difference} > ${TOLERANCE}`);
    return `B=${batch}: max |tfjs − reference| = ${difference.toExponential(2)}`;
  });
}

test("cpu: specs/moe.mot inference logits = reference at batch 1, 3, 5 (no capacity drop)", (t) => {
  const model = moeSpecModel();
  for (const line of checkInference(model, strongMoe(model, 7), [1, 3, 5])) t.diagnostic(line);
});

test("cpu: top-1 relu token choice and expert choice G=3, k=2 (leftover groups of 1 and 2)", (t) => {
  const model = withMoe(moeSpecModel(), (l) => (l.routing === "token_choice" ? { topk: 1, activation: "relu" } : { group: 3, capacity: 2, activation: "gelu" }));
  for (const line of checkInference(model, strongMoe(model, 8), [1, 4, 5])) t.diagnostic(line);
});

test("token choice routing: top-k by p (ties: lower expert), capacity ceil(c·N·k/E) first come first served in token order", () => {
  // N = 4 tokens, E = 3 experts.
  const probs = [0.5, 0.3, 0.2, /**/ 0.6, 0.2, 0.2, /**/ 0.4, 0.4, 0.2, /**/ 0.7, 0.1, 0.2];
  // Inference: nothing dropped. Ties go to the lower expert: token 2 (0.4/0.4) top-1 to expert 0, token 1 (0.2/0.2) second choice to expert 1.
  assert.deepEqual(tokenChoiceRouting(probs, 3, 1), { rows: [[0, 1, 2, 3], [], []], assigned: [4, 0, 0] });
  assert.deepEqual(tokenChoiceRouting(probs, 3, 2).rows, [[0, 1, 2, 3], [0, 1, 2], [3]]);
  // Training, capacity 1: ceil(1·4·1/3) = 2 per expert, so tokens 2 and 3 skip expert 0;
  // frac counts the assignments before the drop.
  assert.deepEqual(tokenChoiceRouting(probs, 3, 1, 1), { rows: [[0, 1], [], []], assigned: [4, 0, 0] });
  // top-2, capacity 0.5: ceil(0.5·4·2/3) = 2.
  assert.deepEqual(tokenChoiceRouting(probs, 3, 2, 0.5), { rows: [[0, 1], [0, 1], [3]], assigned: [4, 3, 1] });
});

test("expert choice routing: k = ceil(c·G/E) best rows per group and position (ties: lower row), at most the leftover group's size", () => {
  // B = 3 rows, T = 1, E = 2, G = 2, capacity 1 → k = 1; groups {0, 1} and the leftover {2}.
  const probs = [0.5, 0.5, /**/ 0.5, 0.5, /**/ 0.9, 0.1];
  assert.deepEqual(expertChoiceRouting(probs, 2, 3, 1, 2, 1).rows, [[0, 2], [0, 2]]);
  // capacity 2 → k = 2: the full group gives both rows to each expert, the leftover group its one row.
  assert.deepEqual(expertChoiceRouting(probs, 2, 3, 1, 2, 2).rows, [[0, 1, 2], [0, 1, 2]]);
  // T = 2: token n = b·T + t; at t = 1 row 1 wins expert 0.
  const twoPositions = [0.8, 0.2, 0.3, 0.7, /**/ 0.1, 0.9, 0.6, 0.4];
  assert.deepEqual(expertChoiceRouting(twoPositions, 2, 2, 2, 2, 1).rows, [[0, 3], [1, 2]]);
});

test("cpu: training drops the tokens past expert capacity in token order; inference keeps them; the aux loss is E·Σ frac·mean p", () => {
  const { model, weights, limit } = oneExpertModel();
  const batch = 2;
  const ids = randomIds(model.vocab, batch, LENGTH, 3);
  const tokens = batch * LENGTH;
  const kept = limit(tokens); // ceil(1 · 12 · 1 / 4) = 3
  assert.equal(kept, 3);
  const vocab = model.vocab;
  const full = tfjsLogits(model, weights, ids, false);
  const silent = tfjsLogits(model, withoutExperts(model, weights), ids, false);
  const trained = tfjsLogits(model, weights, ids, true);
  const row = (x: Float32Array, n: number) => x.subarray(n * vocab, (n + 1) * vocab);
  for (let n = 0; n < tokens; n++) {
    assert.ok(maxAbsDifference(row(full, n), row(silent, n)) > 0.05, `token ${n}: expert 0 adds nothing at inference`);
    // Tokens 0, 1, 2 (b = 0, t < 3) fill expert 0; every later token skips it.
    const expected = n < kept ? row(full, n) : row(silent, n);
    assert.ok(maxAbsDifference(row(trained, n), expected) <= TOLERANCE, `token ${n} in training`);
  }
  assert.ok(maxAbsDifference(trained, referenceLogits(model, weights, ids, { training: true })) <= TOLERANCE);

  // Every token picks expert 0: frac = [1, 0, 0, 0], so aux = aux_loss · 4 · mean p[·, 0].
  const graph = createTrainingGraph(tf, model, weights);
  try {
    const targets = randomIds(model.vocab, batch, LENGTH, 4);
    const loss = tf.tidy(() => graph.loss(tf.tensor2d(ids, [batch, LENGTH], "int32"), tf.tensor2d(targets, [batch, LENGTH], "int32")).dataSync()[0]);
    const v = weights.get("layers.0.norm.bias")!;
    const logit0 = 10 * v.reduce((s, x) => s + x * x, 0);
    const p0 = Math.exp(logit0) / (Math.exp(logit0) + 3);
    const crossEntropy = meanCrossEntropy(referenceLogits(model, weights, ids, { training: true }), targets.flat(), vocab);
    assert.ok(Math.abs(loss - (crossEntropy + 0.01 * 4 * p0)) < 1e-5, `loss ${loss} vs ${crossEntropy} + ${0.04 * p0}`);
  } finally {
    graph.dispose();
  }
});

test("cpu: experts no token picks are never run (NaN weights there leave the logits finite)", () => {
  const { model, weights } = oneExpertModel();
  const w1 = Float32Array.from(weights.get("layers.0.moe.w1")!);
  w1.fill(Number.NaN, w1.length / 4); // experts 1, 2, 3 of [4, d, f]; every token picks expert 0
  const ids = randomIds(model.vocab, 2, LENGTH, 8);
  for (const training of [false, true]) {
    const logits = tfjsLogits(model, new Map(weights).set("layers.0.moe.w1", w1), ids, training);
    assert.ok(logits.every(Number.isFinite), `training=${training}: an unchosen expert's NaN reached the logits`);
    assert.ok(maxAbsDifference(logits, referenceLogits(model, weights, ids, { training })) <= TOLERANCE);
  }
});

/** attention, token choice (E=3, top-2, capacity 1 so training drops, aux 0.1), expert choice (E=3, G=2). */
function gradientModel(): ModelIR {
  const moe = (index: number, extra: Partial<TokenChoiceLayer> | Partial<ExpertChoiceLayer>): MixtureOfExpertsLayer =>
    ({ kind: "moe", init: { kind: "fan_in", scale: 1 }, index, experts: 3, routing: "token_choice", topk: 2, capacity: 1, expertSize: 5, activation: "gelu", auxLoss: 0.1, ...extra }) as MixtureOfExpertsLayer;
  return {
    name: "moe_gradients", vocab: 11, context: 6, dModel: 8, dFF: 16, norm: "layernorm", normEps: 1e-5, dropout: 0, init: { kind: "normal", std: 0.02 }, position: "learned", tiedHead: true,
    sublayers: [
      { kind: "attention", init: { kind: "normal", std: 0.02 }, index: 0, heads: 2, headDim: 4, causal: true, bias: false },
      moe(1, {}),
      moe(2, { routing: "expert_choice", group: 2, capacity: 1.5, activation: "relu" }),
    ],
  };
}

/** The training loss of the float64 reference: cross-entropy with capacity drops, plus the aux losses. */
function referenceTrainingLoss(model: ModelIR, weights: Weights, ids: number[][], targets: number[][]): number {
  const auxLosses: number[] = [];
  const logits = referenceLogits(model, weights, ids, { training: true, auxLosses });
  return meanCrossEntropy(logits, targets.flat(), model.vocab) + auxLosses.reduce((s, v) => s + v, 0);
}

function meanCrossEntropy(logits: ArrayLike<number>, targets: number[], vocab: number): number {
  let total = 0;
  for (let r = 0; r < targets.length; r++) {
    const row = Array.from({ length: vocab }, (_, v) => logits[r * vocab + v]);
    const max = Math.max(...row);
    total += max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) - row[targets[r]];
  }
  return total / targets.length;
}

function checkGradients(tfjs: TF, seed: number): string {
  const model = gradientModel();
  const weights = strongWeights(model, seed);
  const [batch, length] = [5, 4];
  const ids = randomIds(model.vocab, batch, length, seed);
  const targets = randomIds(model.vocab, batch, length, seed + 1);
  // The case exercises the drop: training and inference logits differ.
  assert.ok(maxAbsDifference(referenceLogits(model, weights, ids, { training: true }), referenceLogits(model, weights, ids)) > 1e-3);

  const graph = createTrainingGraph(tfjs, model, weights);
  const analytic = new Map<string, Float32Array>();
  try {
    tfjs.tidy(() => {
      const { value, grads } = tfjs.variableGrads(
        () => graph.loss(tfjs.tensor2d(ids, [batch, length], "int32"), tfjs.tensor2d(targets, [batch, length], "int32")),
        [...graph.variables.values()],
      );
      const reference = referenceTrainingLoss(model, weights, ids, targets);
      assert.ok(Math.abs(value.dataSync()[0] - reference) < 1e-4, `loss ${value.dataSync()[0]} vs reference ${reference}`);
      for (const [name, variable] of graph.variables) analytic.set(name, Float32Array.from(grads[variable.name].dataSync()));
    });
  } finally {
    graph.dispose();
  }

  const random = new Random(seed, "moe-samples");
  let worst = 0;
  let checked = 0;
  for (const spec of parameterTable(model)) {
    const gradient = analytic.get(spec.name)!;
    let largest = 0;
    for (let sample = 0; sample < 3; sample++) {
      const index = random.int(gradient.length);
      const numeric = finiteDifference(model, weights, spec.name, index, ids, targets);
      const error = Math.abs(gradient[index] - numeric);
      const allowed = 1e-3 * Math.abs(numeric) + 2e-6;
      assert.ok(error <= allowed, `${spec.name}[${index}]: tfjs ${gradient[index]} vs finite difference ${numeric}`);
      worst = Math.max(worst, error / allowed);
      largest = Math.max(largest, Math.abs(numeric));
      checked++;
    }
    assert.ok(largest > 1e-6, `${spec.name}: gradient ~0 at every sampled element`);
  }
  return `${checked} elements checked; worst at ${(worst * 100).toFixed(1)}% of the tolerance`;
}

function finiteDifference(model: ModelIR, weights: Weights, name: string, index: number, ids: number[][], targets: number[][]): number {
  const original = weights.get(name)!;
  const at = (delta: number): [number, number] => {
    const changed = Float32Array.from(original);
    changed[index] = original[index] + delta;
    return [changed[index], referenceTrainingLoss(model, new Map(weights).set(name, changed), ids, targets)];
  };
  const [upper, lossUp] = at(1e-4);
  const [lower, lossDown] = at(-1e-4);
  return (lossUp - lossDown) / (upper - lower);
}

test("cpu: gradients of the training loss (drops and aux loss included) match finite differences", (t) => {
  t.diagnostic(checkGradients(tf, 5));
});

test("wasm: logits and gradients of moe models", (t) => {
  // Runs last: it switches the process's tfjs backend.
  return (async () => {
    const { tf: wasm, name } = await selectBackend("wasm", () => {});
    assert.equal(name, "wasm");
    tf = wasm;
    const model = moeSpecModel();
    for (const line of checkInference(model, strongMoe(model, 7), [1, 5])) t.diagnostic(line);
    t.diagnostic(checkGradients(wasm, 5));
  })();
});
