// motc's copying kernels on wasm (src/tfjs/wasm/copies.ts) against the cpu
// backend: values, shapes and dtypes, blocked and unblocked, edge shapes included.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TF } from "../../../src/tfjs/index.js";
import { onBoth, result } from "./both.js";

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Distinct values of `dtype`: their order shows in the output. */
function input(tf: TF, shape: number[], dtype: "float32" | "int32" | "bool" = "float32") {
  const values = Array.from({ length: size(shape) }, (_, i) => (dtype === "bool" ? (i * 7) % 3 === 0 : dtype === "int32" ? i * 3 - 50 : i * 0.5 - 3));
  return tf.tensor(values as number[] | boolean[], shape, dtype);
}

test("wasm Transpose equals cpu's: blocked tall swaps, unblocked ones, other permutations, every dtype", async () => {
  // [shape, perm, dtype]: rows a multiple of 64 above 64 are blocked; 64 rows, 65
  // rows, other permutations, rank 1 and empty tensors go to the stock kernel.
  const cases: Array<[number[], number[], "float32" | "int32" | "bool"]> = [
    [[128, 3], [1, 0], "float32"], [[1024, 64], [1, 0], "float32"], [[192, 1], [1, 0], "float32"],
    [[16, 256, 64], [0, 2, 1], "float32"], [[2, 3, 128, 5], [0, 1, 3, 2], "float32"], [[128, 6], [1, 0], "int32"],
    [[256, 2], [1, 0], "bool"], [[64, 5], [1, 0], "float32"], [[65, 4], [1, 0], "float32"],
    [[128, 4, 3], [2, 0, 1], "float32"], [[4, 128, 3], [1, 0, 2], "int32"], [[7], [0], "float32"],
    [[0, 128, 3], [0, 2, 1], "float32"], [[128, 0], [1, 0], "float32"],
  ];
  for (const [shape, perm, dtype] of cases) {
    const [cpu, wasm] = await onBoth((tf) => result(tf.transpose(input(tf, shape, dtype), perm)));
    assert.deepEqual(wasm, cpu, `transpose of [${shape}] ${dtype} by [${perm}]`);
  }
});

test("wasm GatherV2 equals cpu's: row copies along axis 0, the stock kernel elsewhere", async () => {
  // [x shape, dtype, indices, indices shape, axis, batchDims]
  const cases: Array<[number[], "float32" | "int32", number[], number[], number, number]> = [
    [[5, 3], "float32", [4, 0, 4, 2], [4], 0, 0], // repeated rows
    [[5, 3], "float32", [4, 0, 4, 2], [2, 2], 0, 0], // 2-D indices: the embedding lookup's [batch, context]
    [[7], "float32", [6, 0, 3], [3], 0, 0], // rows of one element
    [[4, 2, 3], "float32", [3, 1], [2], 0, 0], // rows of a matrix each
    [[5, 3], "float32", [], [0], 0, 0], // no indices: an empty result
    [[1, 64], "float32", [0, 0, 0], [3], 0, 0],
    [[5, 3], "int32", [1, 4], [2], 0, 0], // int32: the stock kernel
    [[5, 3], "float32", [2, 0], [2], 1, 0], // along axis 1: the stock kernel
    [[2, 4, 3], "float32", [3, 0, 1, 1], [2, 2], 1, 1], // batch dims: the stock kernel
  ];
  for (const [shape, dtype, ids, idsShape, axis, batchDims] of cases) {
    const [cpu, wasm] = await onBoth((tf) => result(tf.gather(input(tf, shape, dtype), tf.tensor(ids, idsShape, "int32"), axis, batchDims)));
    assert.deepEqual(wasm, cpu, `gather of [${shape}] ${dtype} at ${JSON.stringify(ids)} (axis ${axis}, batch dims ${batchDims})`);
  }
});

test("wasm GatherV2 refuses an index out of range, as cpu does", async () => {
  const outcomes = await onBoth((tf) => {
    try {
      tf.gather(input(tf, [5, 3]), tf.tensor1d([1, 5], "int32")).dataSync();
      return "no error";
    } catch (error) {
      return (error as Error).message;
    }
  });
  assert.match(outcomes[0], /5/);
  assert.equal(outcomes[1], "gather: index 5 is not in [0, 5)");
});

test("wasm Identity equals cpu's and shares the data: the copy outlives its input", async () => {
  const cases: Array<[number[], "float32" | "int32" | "bool"]> = [[[3, 4], "float32"], [[5], "int32"], [[2, 2, 2], "bool"], [[], "float32"], [[0, 3], "float32"]];
  for (const [shape, dtype] of cases) {
    const [cpu, wasm] = await onBoth((tf) => {
      const x = input(tf, shape, dtype);
      const copy = tf.clone(x); // the Identity kernel
      const sameData = copy.dataId === x.dataId;
      x.dispose();
      return { ...result(copy), sameData, disposed: x.isDisposed, copyKept: !copy.isDisposed };
    });
    assert.deepEqual(wasm, cpu, `identity of [${shape}] ${dtype}`);
    assert.equal(wasm.disposed && wasm.copyKept, true);
  }
  // Many references, disposed in any order: the data goes when the last one does.
  const [cpu, wasm] = await onBoth((tf) => {
    const before = tf.memory().numBytes;
    const x = input(tf, [64, 64]);
    const copies = [tf.clone(x), tf.clone(x)];
    const third = tf.clone(copies[0]);
    x.dispose();
    copies[1].dispose();
    const values = result(third);
    copies[0].dispose();
    third.dispose();
    return { values, leaked: tf.memory().numBytes - before };
  });
  assert.deepEqual(wasm, cpu);
  assert.equal(wasm.leaked, 0);
});

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
  for (const [shape, begin, sizes] of cases) {
    const [cpu, wasm] = await onBoth((tf) => result(tf.slice(input(tf, shape), begin, sizes)));
    assert.deepEqual(wasm, cpu, `slice of [${shape}] at [${begin}] size [${sizes}]`);
  }
});

test("wasm Unpack and SplitV equal cpu's along every axis", async () => {
  const shape = [3, 4, 5];
  for (let axis = 0; axis < 3; axis++) {
    const [cpu, wasm] = await onBoth((tf) => {
      const x = input(tf, shape);
      const parts = [...tf.unstack(x, axis), ...tf.split(x, axis === 2 ? [1, 3, 1] : [1, shape[axis] - 1], axis)];
      return parts.map(result);
    });
    assert.deepEqual(wasm, cpu, `axis ${axis}`);
  }
});

test("wasm UnsortedSegmentSum (the embedding gradient) equals cpu's", async () => {
  const [cpu, wasm] = await onBoth((tf) => {
    const rows = tf.tensor2d(Float32Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i)), [7, 3]);
    const ids = tf.tensor1d([4, 0, 4, 2, 0, 4, 1], "int32");
    return result(tf.unsortedSegmentSum(rows, ids, 6));
  });
  assert.deepEqual(wasm.shape, [6, 3]);
  assert.equal(wasm.dtype, cpu.dtype);
  for (let i = 0; i < cpu.values.length; i++) assert.ok(Math.abs(wasm.values[i] - cpu.values[i]) < 1e-6);
  assert.deepEqual(wasm.values.slice(15), [0, 0, 0]); // segment 5 gets no row
});

