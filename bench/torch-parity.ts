// The batches file of bench/train_torch.py's parity mode, shared by the bench
// and the test that hold tfjs against PyTorch: for every step and row, the
// `context` input ids then the last target, int32 little-endian — the row's
// context + 1 tokens, from which the script rebuilds inputs and targets.
import { writeFileSync } from "node:fs";
import type { Recipe } from "../src/ir/model.js";
import type { Batch } from "../src/train/data.js";

export function writeParityBatches(path: string, batches: readonly Batch[], recipe: Pick<Recipe, "batch" | "context">): void {
  const { batch: rows, context } = recipe;
  const packed = new Int32Array(batches.length * rows * (context + 1));
  batches.forEach((batch, s) => {
    for (let b = 0; b < rows; b++) {
      const row = (s * rows + b) * (context + 1);
      packed.set(batch.inputs.subarray(b * context, (b + 1) * context), row);
      packed[row + context] = batch.targets[(b + 1) * context - 1];
    }
  });
  writeFileSync(path, new Uint8Array(packed.buffer));
}
