// The probes of src/tfjs/wasm/index.ts: where BackendWasm's internals are not as
// motc's kernels expect (here: a copy of the backend with one internal broken),
// those kernels stay off with one line saying why, and the stock kernels do the
// work with the right values.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TF } from "../../../src/tfjs/index.js";
import { matmulRuns, registerWasmKernels } from "../../../src/tfjs/wasm/index.js";
import { backend } from "../support.js";

const tf = await backend("wasm");
const real = tf.findBackend("wasm") as unknown as Record<string, unknown> & { dataIdMap: { get(id: object): object | undefined } };

/** The wasm backend with `members` replaced (the rest read through to the real one). */
const broken = (members: Record<string, unknown>) => Object.assign(Object.create(real) as object, members);

/**
 * The products and copies training needs, on whatever kernels are registered,
 * against values computed here; with `matmulOff`, no product may reach motc's kernel.
 */
function stockStillWorks(tf: TF, matmulOff = true): void {
  const runs = { ...matmulRuns };
  const [m, k, n] = [5, 8, 12];
  const a = Float32Array.from({ length: 2 * m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: 2 * k * n }, (_, i) => Math.cos(i));
  const product = tf.tidy(() => tf.matMul(tf.tensor(a, [2, m, k]), tf.tensor(b, [2, k, n])).dataSync());
  for (let t = 0; t < 2; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += a[(t * m + i) * k + q] * b[(t * k + q) * n + j];
        assert.ok(Math.abs(product[(t * m + i) * n + j] - sum) < 1e-5);
      }
    }
  }
  if (matmulOff) assert.deepEqual(matmulRuns, runs, "motc's BatchMatMul ran");
  const rows = tf.tidy(() => Array.from(tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([2, 0], "int32")).dataSync()));
  assert.deepEqual(rows, [5, 6, 1, 2]);
  const sliced = tf.tidy(() => Array.from(tf.slice(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), [1, 1], [1, 2]).dataSync()));
  assert.deepEqual(sliced, [5, 6]);
}

test("with every internal in place, every kernel registers", () => {
  assert.deepEqual(registerWasmKernels(tf), { simdMatmul: true, off: [] });
});

test("a missing internal: the kernels that need it stay off, one line each, and the stock ones work", () => {
  const report = registerWasmKernels(tf, broken({ dataIdMap: undefined }));
  assert.deepEqual(report, {
    simdMatmul: false,
    off: ["SIMD matmul", "blocked Transpose", "row GatherV2", "shared Identity", "Slice, Unpack and SplitV", "UnsortedSegmentSum"]
      .map((kernels) => `wasm ${kernels} off: BackendWasm.dataIdMap.get is missing`),
  });
  stockStillWorks(tf);
  assert.equal(tf.getKernel("UnsortedSegmentSum", "wasm"), undefined, "wasm has no UnsortedSegmentSum of its own");
});

test("tensor entries without offsets: the SIMD matmul stays off before it writes anywhere", () => {
  const dataIdMap = { get: (dataId: object) => ({ ...real.dataIdMap.get(dataId), memoryOffset: undefined }) };
  const report = registerWasmKernels(tf, broken({ dataIdMap }));
  assert.equal(report.simdMatmul, false);
  assert.equal(report.off[0], "wasm SIMD matmul off: BackendWasm.dataIdMap's entries have no memoryOffset");
  stockStillWorks(tf);
});

test("a heap that is not the module's memory: the SIMD matmul stays off", () => {
  const wasm = Object.assign(Object.create(real.wasm as object) as object, { asm: { memory: new WebAssembly.Memory({ initial: 1 }) } });
  const report = registerWasmKernels(tf, broken({ wasm }));
  assert.deepEqual(report, { simdMatmul: false, off: ["wasm SIMD matmul off: BackendWasm.wasm.asm.memory is not the heap tensors live in"] });
  stockStillWorks(tf);
});

test("internals that are there but behave otherwise fail the self-check: copies instead of heap views, no reference counts", () => {
  const typedArrayFromHeap = (info: object) => (real.typedArrayFromHeap as (info: object) => Float32Array).call(real, info).slice();
  const report = registerWasmKernels(tf, broken({ typedArrayFromHeap, incRef: () => {} }));
  assert.equal(report.simdMatmul, true, "the SIMD matmul does not read typed arrays");
  assert.equal(report.off.length, 4, report.off.join("\n"));
  assert.match(report.off[0], /^wasm row GatherV2 off: self-check: GatherV2 gives .* at 0, not .*$/);
  assert.match(report.off[1], /^wasm shared Identity off: self-check: threw /);
  assert.match(report.off[2], /^wasm Slice, Unpack and SplitV off: self-check: Slice gives .* at 0, not .*$/);
  assert.match(report.off[3], /^wasm UnsortedSegmentSum off: self-check: UnsortedSegmentSum gives .* at 0, not .*$/);
  stockStillWorks(tf, false);
  const copy = tf.tidy(() => {
    const x = tf.tensor1d([7, 8]);
    const y = tf.clone(x);
    x.dispose();
    return Array.from(y.dataSync());
  });
  assert.deepEqual(copy, [7, 8]);
});

test("registering again with the real backend turns every kernel back on", () => {
  registerWasmKernels(tf, broken({ dataIdMap: undefined }));
  assert.deepEqual(registerWasmKernels(tf), { simdMatmul: true, off: [] });
  const runs = matmulRuns.simd;
  tf.tidy(() => tf.matMul(tf.ones([2, 5, 8]), tf.ones([2, 8, 12])).dataSync());
  assert.equal(matmulRuns.simd, runs + 1);
});
