// AdamW and clipping against hand-computed numbers and an independent
// double-precision re-implementation of torch.optim.AdamW's update.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { parameterTable } from "../../src/ir/params.js";
import { AdamW, clipByGlobalNorm, globalNorm } from "../../src/train/optimizer.js";
import { smallModel } from "./fixture.js";

before(async () => {
  await import("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend("cpu");
});

const config = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

function near(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 2e-7) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i])), `[${i}] ${actual[i]} != ${expected[i]}`);
  }
}

/** torch.optim.AdamW for one scalar, in doubles. */
function reference(p: number, grads: number[], lrs: number[], decay: boolean): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    const lr = lrs[i];
    if (decay) p *= 1 - lr * config.weightDecay;
    m = config.beta1 * m + (1 - config.beta1) * g;
    v = config.beta2 * v + (1 - config.beta2) * g * g;
    const denominator = Math.sqrt(v) / Math.sqrt(1 - config.beta2 ** t) + config.eps;
    p -= (lr / (1 - config.beta1 ** t)) * (m / denominator);
  });
  return p;
}

test("first AdamW step: decay then a step of lr against the gradient's sign (hand-computed)", () => {
  const w = tf.variable(tf.tensor2d([[1, -1], [2, 0.5]]), true, "test.w");
  const b = tf.variable(tf.tensor1d([1, 1]), true, "test.b");
  const adam = new AdamW(tf, [{ name: "w", variable: w, decay: true }, { name: "b", variable: b, decay: false }], config);
  adam.apply(new Map<string, tf.Tensor>([["w", tf.tensor2d([[0.5, 0.5], [-1, 0]])], ["b", tf.tensor1d([-2, 3])]]), 0.1);
  // w: p·(1 − 0.1·0.1) − 0.1·sign(g) (m̂ = g, √v̂ = |g|); a zero gradient moves only by decay.
  near(w.dataSync(), [0.99 - 0.1, -0.99 - 0.1, 1.98 + 0.1, 0.495]);
  // b: no decay: 1 + 0.1 and 1 − 0.1.
  near(b.dataSync(), [1.1, 0.9]);
  assert.equal(adam.step, 1);
  adam.dispose();
  w.dispose();
  b.dispose();
});

test("three AdamW steps with a schedule match torch's formula in doubles", () => {
  const start = [0.3, -0.7, 1.5];
  const grads = [[0.5, -0.1, 0.02], [0.25, 0.3, -0.04], [-0.1, 0.05, 0.01]];
  const lrs = [0.05, 0.1, 0.02];
  for (const decay of [true, false]) {
    const p = tf.variable(tf.tensor1d(start), true, `test.p.${decay}`);
    const adam = new AdamW(tf, [{ name: "p", variable: p, decay }], config);
    grads.forEach((g, i) => adam.apply(new Map([["p", tf.tensor1d(g)]]), lrs[i]));
    const expected = start.map((p0, k) => reference(p0, grads.map((g) => g[k]), lrs, decay));
    near(p.dataSync(), expected, 1e-6);
    // The second step by hand for element 0 (decay): m = 0.07, v = 0.015 → see below.
    adam.dispose();
    p.dispose();
  }
  // Hand check of step 2 for a decayed scalar p=1, g=0.5 then 0.25, lr 0.1:
  // step 1 → 0.89; m = 0.07, v = 0.015, m̂ = 0.07/0.19, √v̂ = √(0.015/0.0975);
  // p = 0.89 · 0.99 − 0.1 · 0.368421/0.392232 = 0.7871707...
  assert.ok(Math.abs(reference(1, [0.5, 0.25], [0.1, 0.1], true) - 0.78717072) < 1e-7);
});

test("optimizer state round-trips: a restored optimizer takes the same next step", () => {
  const make = (name: string) => tf.variable(tf.tensor1d([0.1, 0.2]), true, name);
  const a = make("test.a");
  const adamA = new AdamW(tf, [{ name: "x", variable: a, decay: true }], config);
  adamA.apply(new Map([["x", tf.tensor1d([0.3, -0.2])]]), 0.01);
  const state = adamA.exportState();
  const b = tf.variable(tf.tensor(a.dataSync()), true, "test.b2");
  const adamB = new AdamW(tf, [{ name: "x", variable: b, decay: true }], config);
  adamB.importState(state);
  for (const adam of [adamA, adamB]) adam.apply(new Map([["x", tf.tensor1d([0.1, 0.4])]]), 0.01);
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.equal(adamB.step, 2);
});

test("global-norm clipping scales every gradient by clip / norm, only when above; 0 turns it off", () => {
  const grads = new Map([["a", tf.tensor1d([3, 4])], ["b", tf.tensor1d([12])]]);
  const norm = globalNorm(tf, grads.values()).dataSync()[0];
  assert.equal(norm, 13);
  const clipped = clipByGlobalNorm(tf, grads, norm, 1);
  near(clipped.get("a")!.dataSync(), [3 / (13 + 1e-6), 4 / (13 + 1e-6)]);
  near(clipped.get("b")!.dataSync(), [12 / (13 + 1e-6)]);
  assert.equal(globalNorm(tf, clipped.values()).dataSync()[0].toFixed(5), "1.00000");
  assert.deepEqual(Array.from(clipByGlobalNorm(tf, grads, norm, 20).get("a")!.dataSync()), [3, 4]);
  assert.deepEqual(Array.from(clipByGlobalNorm(tf, grads, norm, 0).get("b")!.dataSync()), [12]);
});

test("weight decay is marked on matrices only: not norms, biases or log_temp", () => {
  const table = parameterTable(smallModel());
  const decayed = table.filter((p) => p.decay).map((p) => p.name);
  const kept = table.filter((p) => !p.decay).map((p) => p.name);
  assert.deepEqual(decayed, ["embed.token", "embed.position", "layers.0.attn.wq", "layers.0.attn.wk", "layers.0.attn.wv", "layers.0.attn.wo",
    "layers.1.mot.controller", "layers.1.mot.w1", "layers.1.mot.w2"]);
  assert.deepEqual(kept, ["layers.0.norm.scale", "layers.0.norm.bias", "layers.1.norm.scale", "layers.1.norm.bias", "layers.1.mot.log_temp",
    "head.norm.scale", "head.norm.bias"]);
  for (const p of table) assert.equal(p.decay, p.shape.length >= 2, p.name);
});

test("updating in chunks changes no bit: weights and moments equal those of one update over every parameter", () => {
  // Sizes around a chunk of 6 elements: several to a chunk, one alone, one larger than a chunk.
  const shapes: Array<[string, number[], boolean]> = [["a", [2, 2], true], ["b", [2], false], ["c", [3, 3], true], ["d", [1], false], ["e", [2, 3], true], ["f", [5], false]];
  const random = (seed: number, n: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5);
  const run = (chunkElements: number | undefined, tag: string) => {
    const params = shapes.map(([name, shape, decay], k) => ({ name, decay, variable: tf.variable(tf.tensor(random(k + 1, shape.reduce((x, y) => x * y)), shape), true, `chunks.${tag}.${name}`) }));
    const adam = new AdamW(tf, params, config, chunkElements);
    for (let step = 1; step <= 3; step++) {
      const grads = new Map(params.map((p, k) => [p.name, tf.tensor(random(10 * step + k, p.variable.size), p.variable.shape)] as const));
      adam.apply(grads, 0.05 * step);
    }
    const weights = params.map((p) => Array.from(p.variable.dataSync()));
    const state = adam.exportState();
    adam.dispose();
    params.forEach((p) => p.variable.dispose());
    return { weights, m: [...state.m].map(([name, values]) => [name, Array.from(values)]), v: [...state.v].map(([name, values]) => [name, Array.from(values)]) };
  };
  const whole = run(undefined, "whole");
  const chunked = run(6, "chunked");
  assert.deepEqual(chunked, whole);
  assert.deepEqual(whole.m.map(([name]) => name), ["a", "b", "c", "d", "e", "f"]);
  assert.notDeepEqual(whole.weights[0], random(1, 4));
});
