// Training against the PyTorch reference (torch_model.py beside this file), for
// the parity test (test/train/torch.test.ts) and bench/train.ts: the same
// initial weights (a motc checkpoint), batches and learning rates in both.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR, Recipe } from "../../src/ir/model.js";
import { writeCheckpoint } from "../../src/train/checkpoint.js";
import type { Batch } from "../../src/data/batches.js";

/** The reference in the source tree (this file compiles to dist/test/reference/torch.js). */
export const torchModelScript = fileURLToPath(new URL("../../../test/reference/torch_model.py", import.meta.url));

/**
 * The batches file of torch_model.py's parity mode: for every step and row, the
 * `context` input ids then the last target, int32 little-endian — the row's
 * context + 1 tokens, from which the script rebuilds inputs and targets.
 */
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

export interface ParityRun {
  model: ModelIR;
  recipe: Recipe;
  weights: Weights;
  batches: readonly Batch[];
  /** The learning rate of each step. */
  lrs: readonly number[];
}

/**
 * PyTorch's loss at every step of `run`, trained by torch_model.py with `python`
 * on one thread. Throws with the script's last stderr line when it fails.
 */
export function torchParityLosses(python: string, run: ParityRun, env: NodeJS.ProcessEnv = process.env): number[] {
  const dir = mkdtempSync(join(tmpdir(), "motc-torch-parity-"));
  try {
    writeParityBatches(join(dir, "batches.bin"), run.batches, run.recipe);
    writeCheckpoint(join(dir, "start"), run.model, 0, run.weights);
    const config = { model: run.model, recipe: run.recipe, threads: 1, checkpoint: join(dir, "start"), batches: join(dir, "batches.bin"), lrs: run.lrs };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    const result = spawnSync(python, [torchModelScript, "parity", join(dir, "config.json")], { encoding: "utf8", timeout: 300_000, env });
    if (result.status !== 0) throw new Error(`${torchModelScript} failed: ${(result.stderr || result.error?.message || "").trim().split("\n").pop()}`);
    return (JSON.parse(result.stdout) as { losses: number[] }).losses;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
