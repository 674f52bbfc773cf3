// motc's SIMD batched matmul (src/tfjs/wasm/simd.ts): every block shape and edge
// against a float64 product, on its own memory and inside tfjs' wasm heap.
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchedMatMulFor, batchedMatMulModule } from "../../../src/tfjs/wasm/simd.js";
import { backend } from "../support.js";

/** Deterministic values in [-1, 1) with no simple pattern. */
function values(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.7371 + seed * 1.913) * Math.cos(i * 0.113 + seed));
}

/** C = A @ B per item in float64 (A stored as Aᵀ [k, m] when `transposed`), B shared when it holds one item. */
function reference(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, transposed = false): Float64Array {
  const shared = b.length === k * n;
  const c = new Float64Array(batch * m * n);
  const aAt = (i: number, q: number) => (transposed ? q * m + i : i * k + q);
  for (let t = 0; t < batch; t++) {
    const bBase = shared ? 0 : t * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += a[t * m * k + aAt(i, q)] * b[bBase + q * n + j];
        c[t * m * n + i * n + j] = sum;
      }
    }
  }
  return c;
}

function maxError(actual: Float32Array, expected: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

test("the module is valid WebAssembly and the same bytes every time", () => {
  const bytes = batchedMatMulModule();
  assert.ok(WebAssembly.validate(bytes));
  assert.deepEqual(batchedMatMulModule(), bytes);
});

test("every block shape and edge matches a float64 product", () => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const bmm = batchedMatMulFor(memory)!;
  assert.ok(bmm, "this engine has wasm SIMD");
  // [batch, m, k, n, B shared, A stored transposed]: 4×8 blocks, row tails (m mod 4),
  // a 4-column strip (n mod 8 = 4), k = 1, MoT's and attention's item shapes, and
  // Aᵀ read in place (weight gradients).
  const cases: Array<[number, number, number, number, boolean, boolean]> = [
    [1, 1, 1, 4, false, false], [1, 4, 1, 8, false, false], [3, 5, 7, 12, false, false], [2, 9, 3, 8, true, false],
    [1, 13, 5, 20, false, false], [4, 6, 33, 36, false, false], [256, 4, 16, 64, false, false], [8, 64, 16, 64, false, false],
    [2, 3, 64, 4, true, false], [1, 13, 5, 20, false, true], [3, 6, 33, 12, false, true], [2, 9, 3, 8, true, true],
  ];
  for (const [batch, m, k, n, shared, transposed] of cases) {
    const a = values(batch * m * k, 1);
    const b = values((shared ? 1 : batch) * k * n, 2);
    // 4-byte aligned, not 16: tfjs' tensors are only 4-byte aligned.
    const heap = new Float32Array(memory.buffer);
    const [aAt, bAt] = [3, 3 + a.length + 1];
    const cAt = bAt + b.length + 5;
    heap.set(a, aAt);
    heap.set(b, bAt);
    heap.fill(Number.NaN, cAt, cAt + batch * m * n + 8);
    const [rowStep, innerStep] = transposed ? [4, 4 * m] : [4 * k, 4];
    bmm(4 * aAt, 4 * bAt, 4 * cAt, batch, m, k, n, 4 * m * k, shared ? 0 : 4 * k * n, 4 * m * n, rowStep, innerStep);
    const error = maxError(heap.subarray(cAt, cAt + batch * m * n), reference(a, b, batch, m, k, n, transposed));
    const label = `[${batch}, ${m}, ${k}] @ [${k}, ${n}]${shared ? " (B shared)" : ""}${transposed ? " (A stored transposed)" : ""}`;
    assert.ok(error < 1e-5 * Math.max(1, k / 8), `${label}: max error ${error}`);
    assert.ok(Number.isNaN(heap[cAt + batch * m * n]), "nothing is written past C");
  }
});

test("the kernel follows its memory when it grows", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const bmm = batchedMatMulFor(memory)!;
  memory.grow(2);
  const [m, k, n] = [5, 6, 8];
  const heap = new Float32Array(memory.buffer);
  const at = 16384 + 100; // past the first page
  const a = values(m * k, 3);
  const b = values(k * n, 4);
  heap.set(a, at);
  heap.set(b, at + a.length);
  bmm(4 * at, 4 * (at + a.length), 4 * (at + a.length + b.length), 1, m, k, n, 0, 0, 0, 4 * k, 4);
  assert.ok(maxError(heap.subarray(at + a.length + b.length, at + a.length + b.length + m * n), reference(a, b, 1, m, k, n)) < 1e-5);
});

test("wasm backend: batched, shared-B, 2-D, transposed-A and fallback products match float64", async () => {
  const tf = await backend("wasm");
  // [a shape as stored, b shape, transposeA]: the SIMD path (columns a multiple of 4)
  // and the others (they are not: XNNPACK, or an explicit transpose first).
  const cases: Array<[number[], number[], boolean]> = [
    [[16, 4, 64, 16], [16, 4, 16, 64], false], [[256, 4, 16], [256, 16, 64], false], [[7, 5, 3], [3, 12], false],
    [[33, 20], [20, 36], false], [[6, 64, 16], [6, 16, 6], false], [[3, 40, 50], [3, 50, 30], false],
    [[1024, 64], [1024, 64], true], [[5, 33, 7], [5, 33, 12], true], [[70, 9], [70, 13], true], [[4, 30, 9], [4, 30, 6], true],
  ];
  for (const [aShape, bShape, transposeA] of cases) {
    const [rows, columns] = aShape.slice(-2);
    const [m, k] = transposeA ? [columns, rows] : [rows, columns];
    const n = bShape[bShape.length - 1];
    const batch = aShape.slice(0, -2).reduce((x, y) => x * y, 1);
    const a = values(batch * m * k, 5);
    const b = values(bShape.slice(0, -2).reduce((x, y) => x * y, 1) * k * n, 6);
    const product = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA).dataSync() as Float32Array);
    const error = maxError(product, reference(a, b, batch, m, k, n, transposeA));
    // float32 sums of k products: the error grows with k.
    assert.ok(error < 1e-5 * Math.max(1, k / 8), `${JSON.stringify(aShape)}${transposeA ? "ᵀ" : ""} @ ${JSON.stringify(bShape)}: max error ${error}`);
  }
});
