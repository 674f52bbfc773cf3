// The second half of each replacement's probe (index.ts): its kernels run once on
// a small case through the backend's internals, against values computed here in
// plain JS. A heap view at the wrong offset, an output tfjs cannot read back or a
// reference count that does not hold shows up as a wrong value or a throw, and
// the stock kernel stays. Each case is a few dozen elements: microseconds.
import type * as tfc from "@tensorflow/tfjs-core";
import type { TF } from "../ops.js";
import { matmulRuns } from "./matmul.js";

/** Runs one of the replacement's kernels directly on the probed backend. */
export type RunKernel = (kernelName: string, inputs: Record<string, tfc.TensorInfo>, attrs?: tfc.NamedAttrMap) => tfc.TensorInfo | tfc.TensorInfo[];

interface Expected {
  shape: number[];
  values: ArrayLike<number>;
}

/**
 * A number new to every check, added to its inputs: an output left unwritten
 * in memory that a previous check's output used cannot match by chance.
 */
let checks = 0;
const salt = () => 16 * ++checks;

/** Deterministic values in [-1, 1]. */
const wave = (count: number, seed: number) => Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.61 + seed));

/** Where `tensor` differs from `expected`, or undefined. */
function differs(label: string, tensor: tfc.Tensor, expected: Expected, tolerance = 0): string | undefined {
  if (tensor.shape.join() !== expected.shape.join()) return `${label} has shape [${tensor.shape}], not [${expected.shape}]`;
  const values = tensor.dataSync();
  for (let i = 0; i < expected.values.length; i++) {
    if (!(Math.abs(values[i] - expected.values[i]) <= tolerance)) return `${label} gives ${values[i]} at ${i}, not ${expected.values[i]}`;
  }
  return undefined;
}

/**
 * `body` given a function that runs a kernel and hands back its outputs as
 * tensors; every tensor made inside is disposed afterwards.
 */
function checking(tf: TF, run: RunKernel, body: (outputs: (...args: Parameters<RunKernel>) => tfc.Tensor[]) => string | undefined): string | undefined {
  return tf.tidy(() => body((...args) => [run(...args)].flat().map((info) => tf.engine().makeTensorFromTensorInfo(info))));
}

/** A @ B per item in float64 (A stored as [k, m] when `transposeA`). */
function product(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, transposeA: boolean): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += a[t * m * k + (transposeA ? q * m + i : i * k + q)] * b[t * k * n + q * n + j];
        c[(t * m + i) * n + j] = sum;
      }
    }
  }
  return c;
}

/** The SIMD path (plain and transposed A) and XNNPACK on aliased items (30 columns), each where it should run. */
export function checkMatMul(tf: TF, run: RunKernel): string | undefined {
  const cases: Array<[batch: number, m: number, k: number, n: number, transposeA: boolean, path: keyof typeof matmulRuns]> =
    [[2, 5, 8, 12, false, "simd"], [2, 5, 8, 12, true, "simd"], [2, 32, 16, 30, false, "xnnpack"]];
  for (const [batch, m, k, n, transposeA, path] of cases) {
    const label = `BatchMatMul [${batch}, ${m}, ${k}]${transposeA ? " (A transposed)" : ""} @ [${batch}, ${k}, ${n}]`;
    const runs = matmulRuns[path];
    const failed = checking(tf, run, (outputs) => {
      const a = wave(batch * m * k, salt());
      const b = wave(batch * k * n, salt());
      const [c] = outputs("BatchMatMul", { a: tf.tensor(a, [batch, ...(transposeA ? [k, m] : [m, k])]), b: tf.tensor(b, [batch, k, n]) }, { transposeA, transposeB: false });
      return differs(label, c, { shape: [batch, m, n], values: product(a, b, batch, m, k, n, transposeA) }, 1e-4);
    });
    if (failed) return failed;
    if (matmulRuns[path] !== runs + 1) return `${label} did not run on ${path === "simd" ? "the SIMD kernel" : "XNNPACK"}`;
  }
  return undefined;
}

/** A last-two-axes swap of a matrix tall enough to be blocked. */
export function checkTranspose(tf: TF, run: RunKernel): string | undefined {
  const [batch, rows, cols] = [2, 128, 3];
  const base = salt();
  const expected = new Float32Array(batch * rows * cols);
  for (let t = 0; t < batch; t++) for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expected[(t * cols + j) * rows + i] = base + (t * rows + i) * cols + j;
  return checking(tf, run, (outputs) => {
    const x = tf.tensor(Float32Array.from({ length: expected.length }, (_, i) => base + i), [batch, rows, cols]);
    const [y] = outputs("Transpose", { x }, { perm: [0, 2, 1] });
    return differs("Transpose [2, 128, 3]", y, { shape: [batch, cols, rows], values: expected });
  });
}

export function checkGather(tf: TF, run: RunKernel): string | undefined {
  const [width, base] = [3, salt()];
  const rows = [4, 0, 4, 2];
  return checking(tf, run, (outputs) => {
    const x = tf.tensor(Float32Array.from({ length: 5 * width }, (_, i) => base + i * 0.5), [5, width]);
    const [y] = outputs("GatherV2", { x, indices: tf.tensor(rows, [2, 2], "int32") }, { axis: 0, batchDims: 0 });
    return differs("GatherV2", y, { shape: [2, 2, width], values: rows.flatMap((row) => [0, 1, 2].map((j) => base + (row * width + j) * 0.5)) });
  });
}

/** The output shares the input's data: it must outlive the input. */
export function checkIdentity(tf: TF, run: RunKernel): string | undefined {
  const values = [1.5, -2, 3].map((v) => v + salt());
  return checking(tf, run, (outputs) => {
    const x = tf.tensor(values, [3]);
    const [y] = outputs("Identity", { x });
    x.dispose();
    return differs("Identity after its input is disposed", y, { shape: [3], values });
  });
}

export function checkSlices(tf: TF, run: RunKernel): string | undefined {
  const base = salt();
  const at = (i: number, j: number, k: number) => base + i * 20 + j * 5 + k; // [3, 4, 5], values = base + flat index
  return checking(tf, run, (outputs) => {
    const x = tf.tensor(Float32Array.from({ length: 60 }, (_, i) => base + i), [3, 4, 5]);
    const [slice] = outputs("Slice", { x }, { begin: [1, 1, 2], size: [2, 2, 3] });
    const unstacked = outputs("Unpack", { value: x }, { axis: 1 });
    const split = outputs("SplitV", { x }, { numOrSizeSplits: [1, 3, 1], axis: 2 });
    return differs("Slice", slice, { shape: [2, 2, 3], values: [1, 2].flatMap((i) => [1, 2].flatMap((j) => [2, 3, 4].map((k) => at(i, j, k)))) }) ??
      differs("Unpack", unstacked[2], { shape: [3, 5], values: [0, 1, 2].flatMap((i) => [0, 1, 2, 3, 4].map((k) => at(i, 2, k))) }) ??
      differs("SplitV", split[1], { shape: [3, 4, 3], values: [0, 1, 2].flatMap((i) => [0, 1, 2, 3].flatMap((j) => [1, 2, 3].map((k) => at(i, j, k)))) });
  });
}

export function checkSegmentSum(tf: TF, run: RunKernel): string | undefined {
  const base = salt();
  return checking(tf, run, (outputs) => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8].map((v) => v + base), [4, 2]);
    const segmentIds = tf.tensor([2, 0, 2, 5], [4], "int32"); // 5 is out of range: dropped, as in TensorFlow
    const [sums] = outputs("UnsortedSegmentSum", { x, segmentIds }, { numSegments: 3 });
    return differs("UnsortedSegmentSum", sums, { shape: [3, 2], values: [3 + base, 4 + base, 0, 0, 6 + 2 * base, 8 + 2 * base] });
  });
}
