// Shared by the ONNX and tfjs tests (kept apart from test/onnx/ort.ts so tfjs
// tests do not load onnxruntime): seeded ids and the largest difference.
import { Random } from "../../src/ir/random.js";

/** Seeded random ids [batch][length] below `vocab`. */
export function randomIds(vocab: number, batch: number, length: number, seed: number): number[][] {
  const random = new Random(seed, "ids");
  return Array.from({ length: batch }, () => Array.from({ length }, () => random.int(vocab)));
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
