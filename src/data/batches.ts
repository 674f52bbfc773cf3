// Training batches and evaluation windows, bit for bit as CONTRACTS.md section 2
// says, so the TensorFlow.js and PyTorch engines read the same tokens in the same
// order. The batch of update `step` (1-based) depends only on (tokens, context,
// batch, seed, step): B windows drawn independently, with replacement, anywhere
// in the train split (nanoGPT's get_batch) — so resuming needs only the step,
// and how the split is cut into shards does not matter.
import { UserError } from "../base/errors.js";
import { Random } from "../ir/random.js";
import type { TokenSource } from "./dataset.js";


/** Evaluation reads at most this many batches of windows from the start of the val split. */
export const EVAL_BATCHES = 8;

export interface Batch {
  batch: number;
  context: number;
  /** [batch, context] row-major. */
  inputs: Int32Array;
  /** inputs shifted by one: targets[b, t] = the token after inputs[b, t]. */
  targets: Int32Array;
}

/** start[r] = Random(seed, "data.batch." + step).index(N − C), r = 0 … B−1. */
export function batchStarts(tokens: number, context: number, batch: number, seed: number, step: number): number[] {
  const random = new Random(seed, `data.batch.${step}`);
  return Array.from({ length: batch }, () => random.index(tokens - context));
}

/**
 * A run's batches, each read while the step before it trains: `take(s)` gives
 * update s's batch (already read when s follows the step last taken) and starts
 * reading s + 1's on libuv's threads. It changes when the tokens arrive, never
 * which: on shards that are not in the page cache (a corpus larger than memory)
 * the reads' latency hides behind the step.
 */
export class BatchReader {
  private ahead: { step: number; batch: Promise<Batch> } | undefined;

  constructor(
    private readonly train: TokenSource,
    private readonly context: number,
    private readonly batch: number,
    private readonly seed: number,
  ) {}

  take(step: number): Promise<Batch> {
    const batch = this.ahead?.step === step ? this.ahead.batch : this.read(step);
    this.ahead = { step: step + 1, batch: this.read(step + 1) };
    return batch;
  }

  private read(step: number): Promise<Batch> {
    const batch = readWindowsAsync(this.train, batchStarts(this.train.length, this.context, this.batch, this.seed, step), this.context);
    batch.catch(() => undefined); // a read ahead that fails is reported by the take() that wants it, if any
    return batch;
  }
}

/** Refuses a train split too short to draw batches from: N < C + 1 + B. */
export function checkTrainSplit(train: TokenSource, context: number, batch: number, dataset: string): void {
  const needed = context + 1 + batch;
  if (train.length < needed) throw new UserError("MOT626", ["train", dataset, train.length, batch, context + 1, needed]);
}

/** The batch of update `step` (the first update is step 1). */
export function trainingBatch(train: TokenSource, context: number, batch: number, seed: number, step: number): Batch {
  return readWindows(train, batchStarts(train.length, context, batch, seed, step), context);
}

/**
 * The evaluation set: the first min(EVAL_BATCHES·B, ⌊(N − 1)/C⌋) windows of the
 * val split at starts 0, C, 2C, …, in batches of B (the last may be smaller).
 */
export function evaluationBatches(val: TokenSource, context: number, batch: number, dataset: string): Batch[] {
  const windows = Math.min(EVAL_BATCHES * batch, Math.max(0, Math.floor((val.length - 1) / context)));
  if (windows === 0) throw new UserError("MOT627", [dataset, val.length, context + 1]);
  const batches: Batch[] = [];
  for (let first = 0; first < windows; first += batch) {
    const starts = Array.from({ length: Math.min(batch, windows - first) }, (_, i) => (first + i) * context);
    batches.push(readWindows(val, starts, context));
  }
  return batches;
}

/** readWindows with every window read at once, off the main thread. */
export async function readWindowsAsync(source: TokenSource, starts: readonly number[], context: number): Promise<Batch> {
  const inputs = new Int32Array(starts.length * context);
  const targets = new Int32Array(starts.length * context);
  await Promise.all(starts.map(async (start, row) => {
    const window = new Int32Array(context + 1);
    await source.readAsync(start, window);
    inputs.set(window.subarray(0, context), row * context);
    targets.set(window.subarray(1), row * context);
  }));
  return { batch: starts.length, context, inputs, targets };
}

/** Windows of context + 1 tokens: the first C are a row of inputs, the last C its targets. */
export function readWindows(source: TokenSource, starts: readonly number[], context: number): Batch {
  const inputs = new Int32Array(starts.length * context);
  const targets = new Int32Array(starts.length * context);
  const window = new Int32Array(context + 1);
  starts.forEach((start, row) => {
    source.read(start, window);
    inputs.set(window.subarray(0, context), row * context);
    targets.set(window.subarray(1), row * context);
  });
  return { batch: starts.length, context, inputs, targets };
}
