// motc's BatchMatMul on wasm (src/tfjs/wasm/matmul.ts): every path against cpu's
// products, and the proof that the SIMD path is really taken — by the shapes it
// is for and by a whole training step of specs/tiny.mot — so that it cannot stop
// being used without a test failing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkSpec } from "../../../src/check/index.js";
import { initialWeights } from "../../../src/ir/init.js";
import { createTrainingGraph, selectBackend } from "../../../src/tfjs/index.js";
import { matmulRuns } from "../../../src/tfjs/wasm/index.js";
import { optimizerFor, trainStep } from "../../../src/train/loop.js";
import { repoRoot } from "../../support/cli.js";
import { onBoth } from "./both.js";

const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

/** How many products each path ran during `work`. */
function runsDuring(work: () => void): typeof matmulRuns {
  const before = { ...matmulRuns };
  work();
  return { simd: matmulRuns.simd - before.simd, xnnpack: matmulRuns.xnnpack - before.xnnpack, stock: matmulRuns.stock - before.stock };
}

// [a shape, b shape, transposeA, transposeB, the path it takes]
const CASES: Array<[number[], number[], boolean, boolean, keyof typeof matmulRuns]> = [
  [[16, 4, 64, 16], [16, 4, 16, 64], false, false, "simd"], // attention scores
  [[256, 4, 16], [256, 16, 64], false, false, "simd"], // MoT's cells
  [[1024, 64], [1024, 64], true, false, "simd"], // a weight gradient, Aᵀ read in place
  [[3, 70, 33], [33, 52], false, false, "simd"], // B shared by the batch
  [[6, 40, 64], [6, 64, 24], false, false, "simd"],
  [[2, 32, 16], [2, 16, 30], false, false, "xnnpack"], // columns not a multiple of 4: one XNNPACK call per item
  [[3, 70, 33], [33, 50], false, false, "xnnpack"], // ... or one for the batch when B is shared
  [[4, 40, 33], [4, 40, 30], true, false, "xnnpack"], // Aᵀ transposed first, then XNNPACK
  [[4, 30, 9], [4, 30, 6], true, false, "stock"], // ... or the stock loop, for small items
  [[5, 64, 32], [5, 40, 32], false, true, "stock"], // transposed B
  [[8, 4, 3], [8, 3, 5], false, false, "stock"], // items too small for XNNPACK
];

test("wasm BatchMatMul equals cpu's on every path", async () => {
  for (const [aShape, bShape, transposeA, transposeB] of CASES) {
    const [cpu, wasm] = await onBoth((tf) => {
      const a = tf.tensor(Float32Array.from({ length: size(aShape) }, (_, i) => Math.sin(i * 0.37)), aShape);
      const b = tf.tensor(Float32Array.from({ length: size(bShape) }, (_, i) => Math.cos(i * 0.11)), bShape);
      const product = tf.matMul(a, b, transposeA, transposeB);
      return { values: Array.from(product.dataSync()), shape: product.shape, dtype: product.dtype };
    });
    assert.deepEqual(wasm.shape, cpu.shape);
    assert.equal(wasm.dtype, "float32");
    const worst = cpu.values.reduce((m, v, i) => Math.max(m, Math.abs(v - wasm.values[i])), 0);
    assert.ok(worst < 1e-4, `[${aShape}]·[${bShape}]: max difference ${worst}`);
  }
});

test("each product takes the path meant for its shape: the SIMD kernel wherever it can", async () => {
  const lines: string[] = [];
  const { tf } = await selectBackend("wasm", (line) => lines.push(line));
  assert.deepEqual(lines, ["tfjs backend: wasm (SIMD, 1 thread; motc SIMD matmul on)"]);
  for (const [aShape, bShape, transposeA, transposeB, path] of CASES) {
    const runs = runsDuring(() => tf.tidy(() => {
      tf.matMul(tf.ones(aShape), tf.ones(bShape), transposeA, transposeB).dataSync();
    }));
    assert.deepEqual(runs, { simd: 0, xnnpack: 0, stock: 0, [path]: 1 }, `[${aShape}]${transposeA ? "ᵀ" : ""} @ [${bShape}]${transposeB ? "ᵀ" : ""}`);
  }
});

test("a training step of specs/tiny.mot runs every product on the SIMD kernel", async () => {
  const { tf } = await selectBackend("wasm", () => {});
  const path = join(repoRoot, "specs/tiny.mot");
  const [model] = checkSpec({ path, text: readFileSync(path, "utf8") }).models;
  const recipe = model.recipe!;
  const graph = createTrainingGraph(tf, model, initialWeights(model, 0), { seed: 0 });
  const optimizer = optimizerFor(tf, model, graph, recipe);
  const tokens = recipe.batch * recipe.context;
  const batch = {
    batch: recipe.batch, context: recipe.context,
    inputs: Int32Array.from({ length: tokens }, (_, i) => (i * 31) % model.vocab),
    targets: Int32Array.from({ length: tokens }, (_, i) => (i * 17 + 3) % model.vocab),
  };
  try {
    const runs = runsDuring(() => trainStep(tf, graph, optimizer, batch, recipe.lr, recipe.clip));
    // Forward and backward of 2 attention and 2 MoT layers and the head: 80 products today.
    assert.ok(runs.simd >= 40, `only ${runs.simd} products on the SIMD kernel`);
    assert.deepEqual({ xnnpack: runs.xnnpack, stock: runs.stock }, { xnnpack: 0, stock: 0 });
  } finally {
    optimizer.dispose();
    graph.dispose();
  }
});
