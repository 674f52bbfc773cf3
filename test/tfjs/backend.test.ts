// Backend selection: `auto` falls back past the backends this machine lacks with
// one line each and never crashes; explicit choices that cannot start fail with a
// clear error; motc's wasm kernels (Slice, UnsortedSegmentSum) equal the cpu ones.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { selectBackend, type TF } from "../../src/tfjs/index.js";

const hasVulkan = ["/usr/lib/x86_64-linux-gnu/libvulkan.so.1", "/usr/lib64/libvulkan.so.1", "/usr/lib/libvulkan.so.1"].some(existsSync);

test("auto: one line per backend that cannot start, then the one that runs", async () => {
  const lines: string[] = [];
  const { tf, name } = await selectBackend("auto", (line) => lines.push(line));
  assert.equal(tf.getBackend(), name);
  const last = lines.at(-1)!;
  assert.match(last, new RegExp(`^tfjs backend: ${name}( \\(|$)`));
  const fallbacks = lines.slice(0, -1);
  assert.match(fallbacks[0], /^tfjs backend tensorflow unavailable: .*@tensorflow\/tfjs-node.*; trying the next$/);
  if (!hasVulkan) {
    // This machine: no tfjs-node, no GPU → wasm, after exactly two fallbacks.
    assert.equal(name, "wasm");
    assert.equal(fallbacks.length, 2, lines.join("\n"));
    assert.match(fallbacks[1], /^tfjs backend webgpu unavailable: .+; trying the next$/);
    assert.match(last, /^tfjs backend: wasm \(SIMD, 1 thread\)$/);
  } else {
    assert.ok(name === "webgpu" || name === "wasm", lines.join("\n"));
  }
});

test("explicit backends that cannot start reject with the reason; cpu and wasm start", async () => {
  await assert.rejects(selectBackend("tensorflow", () => {}), /^Error: tfjs backend tensorflow: .*not installed.*\(--backend auto takes the first that starts\)$/);
  await assert.rejects(selectBackend("tensorflow", () => {}), { code: "MOT540" });
  if (!hasVulkan) await assert.rejects(selectBackend("webgpu", () => {}), /^Error: tfjs backend webgpu: no Vulkan loader/);
  const lines: string[] = [];
  assert.equal((await selectBackend("cpu", (line) => lines.push(line))).name, "cpu");
  assert.equal((await selectBackend("wasm", (line) => lines.push(line))).name, "wasm");
  assert.deepEqual(lines, ["tfjs backend: cpu (plain JavaScript, slow)", "tfjs backend: wasm (SIMD, 1 thread)"]);
});

/** Runs `f` on cpu and on wasm with the same inputs; returns both results. */
interface Result {
  values: number[];
  shape: number[];
}
async function onBoth(f: (tf: TF) => Result): Promise<Result[]> {
  const results: Result[] = [];
  for (const name of ["cpu", "wasm"] as const) {
    const { tf } = await selectBackend(name, () => {});
    tf.tidy(() => {
      results.push(f(tf));
    });
  }
  return results;
}

test("wasm Slice equals cpu Slice, contiguous or not, ranks 1–5", async () => {
  const cases: Array<[number[], number[], number[]]> = [
    [[10], [3], [5]],
    [[4, 6], [1, 2], [2, 3]],
    [[4, 6], [2, 0], [2, 6]],
    [[3, 4, 5], [1, 1, 2], [2, 2, 3]],
    [[3, 4, 5], [0, 0, 0], [3, 4, 5]],
    [[2, 3, 4, 5], [1, 0, 1, 1], [1, 3, 2, 4]],
    [[2, 3, 2, 4, 3], [0, 1, 1, 2, 0], [2, 2, 1, 2, 3]],
  ];
  for (const [shape, begin, size] of cases) {
    const count = shape.reduce((a, b) => a * b, 1);
    const [cpu, wasm] = await onBoth((tf) => {
      const x = tf.tensor(Float32Array.from({ length: count }, (_, i) => i * 0.5 - 3), shape);
      const y = tf.slice(x, begin, size);
      return { values: Array.from(y.dataSync()), shape: y.shape };
    });
    assert.deepEqual(wasm, cpu, `slice of [${shape}] at [${begin}] size [${size}]`);
  }
});

test("wasm Unpack and SplitV equal cpu's along every axis", async () => {
  const shape = [3, 4, 5];
  for (let axis = 0; axis < 3; axis++) {
    const [cpu, wasm] = await onBoth((tf) => {
      const x = tf.tensor(Float32Array.from({ length: 60 }, (_, i) => i), shape);
      const parts = [...tf.unstack(x, axis), ...tf.split(x, axis === 2 ? [1, 3, 1] : [1, shape[axis] - 1], axis)];
      return { values: parts.flatMap((p) => Array.from(p.dataSync())), shape: parts.flatMap((p) => p.shape) };
    });
    assert.deepEqual(wasm, cpu, `axis ${axis}`);
  }
});

test("wasm batched matmul (one XNNPACK call per item, aliased) equals cpu's", async () => {
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[16, 4, 64, 16], [16, 4, 16, 64], false, false], // attention scores
    [[6, 40, 64], [6, 64, 24], false, false],
    [[3, 70, 33], [33, 50], false, false], // B shared by the batch: one 2-D call
    [[5, 64, 32], [5, 40, 32], false, true], // transposed: the stock kernel
    [[8, 4, 3], [8, 3, 5], false, false], // small items: the stock kernel
  ];
  for (const [aShape, bShape, transposeA, transposeB] of cases) {
    const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
    const [cpu, wasm] = await onBoth((tf) => {
      const a = tf.tensor(Float32Array.from({ length: size(aShape) }, (_, i) => Math.sin(i * 0.37)), aShape);
      const b = tf.tensor(Float32Array.from({ length: size(bShape) }, (_, i) => Math.cos(i * 0.11)), bShape);
      const products = [tf.matMul(a, b, transposeA, transposeB), tf.matMul(a, b, transposeA, transposeB)];
      return { values: products.flatMap((p) => Array.from(p.dataSync())), shape: products[0].shape };
    });
    assert.deepEqual(wasm.shape, cpu.shape);
    const worst = cpu.values.reduce((m, v, i) => Math.max(m, Math.abs(v - wasm.values[i])), 0);
    assert.ok(worst < 1e-4, `[${aShape}]·[${bShape}]: max difference ${worst}`);
  }
});

test("wasm UnsortedSegmentSum (the embedding gradient) equals cpu's", async () => {
  const [cpu, wasm] = await onBoth((tf) => {
    const rows = tf.tensor2d(Float32Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i)), [7, 3]);
    const ids = tf.tensor1d([4, 0, 4, 2, 0, 4, 1], "int32");
    const sums = tf.unsortedSegmentSum(rows, ids, 6);
    return { values: Array.from(sums.dataSync()), shape: sums.shape };
  });
  assert.deepEqual(wasm.shape, [6, 3]);
  for (let i = 0; i < cpu.values.length; i++) assert.ok(Math.abs(wasm.values[i] - cpu.values[i]) < 1e-6);
  assert.deepEqual(Array.from(wasm.values).slice(15), [0, 0, 0]); // segment 5 gets no row
});
