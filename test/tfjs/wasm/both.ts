// Running the same tfjs code on the cpu backend (the reference) and on wasm with
// every motc kernel on, for the tests of those kernels.
import assert from "node:assert/strict";
import { selectBackend, type TF } from "../../../src/tfjs/index.js";

export interface Result {
  values: number[];
  shape: number[];
  dtype: string;
}

/** What a test reads of a tensor. */
export function result(tensor: { dataSync(): ArrayLike<number>; shape: number[]; dtype: string }): Result {
  return { values: Array.from(tensor.dataSync()), shape: tensor.shape, dtype: tensor.dtype };
}

/** Runs `f` on cpu, then on wasm (asserting that none of motc's kernels stayed off); returns both results. */
export async function onBoth<T>(f: (tf: TF) => T): Promise<[cpu: T, wasm: T]> {
  const results: T[] = [];
  for (const name of ["cpu", "wasm"] as const) {
    const lines: string[] = [];
    const { tf } = await selectBackend(name, (line) => lines.push(line));
    if (name === "wasm") assert.deepEqual(lines, ["tfjs backend: wasm (SIMD, 1 thread; motc SIMD matmul on)"]);
    tf.tidy(() => {
      results.push(f(tf));
    });
  }
  return [results[0], results[1]];
}
