// What `motc train` adds to a checkpoint so `--resume` continues exactly where
// it stopped: the optimizer's moments (DIR/optimizer.bin), its step, the recipe
// and fingerprints of the model and the dataset (the sha256 of its manifest).
// It lives under `extra.trainer` of checkpoint.json (checkpoint.ts's format);
// readers that only want the weights ignore it.
//
// optimizer.bin: for each parameter in checkpoint.json's `params` order, its
// first moment m then its second moment v, little-endian float32, row-major;
// the m of a parameter at weights.bin offset `o` and length `n` sits at 2·o,
// its v at 2·o + n.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";
import {
  arrayOf, nonNegativeInteger, nonNegativeNumber, number, object, oneOf, optional, positiveInteger, positiveNumber, printable, sha256Hex, string,
  type Infer, type Schema,
} from "../base/schema.js";
import type { Weights } from "../ir/init.js";
import type { ModelIR, Schedule } from "../ir/model.js";
import { LATEST, MANIFEST, WEIGHTS, checked, checkpointDirectory, checkpointFiles, readCheckpoint, readManifest } from "./checkpoint.js";
import { modelFingerprint } from "../ir/fingerprint.js";
export { modelFingerprint };
import type { OptimizerState } from "./optimizer.js";
import { saveCheckpoint } from "./rundir.js";

export const OPTIMIZER = "optimizer.bin";

const scheduleSchema: Schema<Schedule> = {
  check(value, path) {
    const { kind } = object({ kind: oneOf("constant", "cosine", "linear") }).check(value, path);
    if (kind === "constant") return { kind };
    return { kind, final: nonNegativeNumber.check((value as { final?: unknown }).final, `${path}.final`) };
  },
};

/** The recipe as run, flags applied (src/ir/model.ts Recipe). */
const recipeSchema = object({
  steps: positiveInteger,
  batch: positiveInteger,
  context: positiveInteger,
  lr: nonNegativeNumber,
  warmup: nonNegativeInteger,
  schedule: scheduleSchema,
  optimizer: object({ beta1: number, beta2: number, eps: number, weightDecay: number }),
  clip: nonNegativeNumber,
  seed: nonNegativeInteger,
  evalEvery: positiveInteger,
  checkpointEvery: positiveInteger,
  temp: optional(object({ kind: oneOf("anneal"), final: positiveNumber, start: nonNegativeNumber })),
});

/**
 * `extra.trainer` of checkpoint.json (CONTRACTS 3), checked field by field when
 * read back: a field changes here in one line, and TrainerState with it.
 */
const trainerSchema = object({
  version: oneOf(1),
  /** sha256 of the model's layers and sizes (its IR without name, recipe and init). */
  modelFingerprint: sha256Hex,
  recipe: recipeSchema,
  tokenizer: oneOf("bytes", "gpt2"),
  /** The `--data` sources, the dataset's tokens (both splits) and the sha256 of its manifest.json. */
  data: object({ sources: arrayOf(string), tokens: nonNegativeInteger, fingerprint: sha256Hex }),
  /** The engine that trained it: tfjs, or torch (the PyTorch program). */
  engine: optional(oneOf("tfjs", "torch")),
  /** The backend that trained it (another backend continues with last-bit differences). */
  backend: optional(printable),
  /** Updates the optimizer has taken (equals the checkpoint's step). */
  optimizerStep: nonNegativeInteger,
  /** sha256 of weights.bin and optimizer.bin, to catch a checkpoint torn by a crash or edited. */
  sha256: object({ weights: sha256Hex, optimizer: sha256Hex }),
});

export type TrainerState = Infer<typeof trainerSchema>;

export interface TrainingCheckpoint {
  step: number;
  weights: Weights;
  optimizer: OptimizerState;
  trainer: TrainerState;
}

function sha256(chunks: readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex");
}

/** The bytes of `names`' tensors, in order, as views (no copy). */
function tensorChunks(weights: Weights, names: readonly string[]): Uint8Array[] {
  return names.map((name) => {
    const values = weights.get(name);
    if (!values) throw new Error(`internal: no tensor ${name}`);
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  });
}

/**
 * Saves the checkpoint as the newest of the run directory `run` (rundir.ts):
 * optimizer.bin, weights.bin and checkpoint.json in a step directory, committed
 * by `latest`.
 */
export function writeTrainingCheckpoint(
  run: string,
  model: ModelIR,
  checkpoint: Omit<TrainingCheckpoint, "trainer"> & { trainer: Omit<TrainerState, "sha256"> },
): void {
  const names = [...checkpoint.weights.keys()];
  const optimizerChunks = names.flatMap((name) => tensorChunks(checkpoint.optimizer.m, [name]).concat(tensorChunks(checkpoint.optimizer.v, [name])));
  const trainer: TrainerState = {
    ...checkpoint.trainer,
    sha256: { weights: sha256(tensorChunks(checkpoint.weights, names)), optimizer: sha256(optimizerChunks) },
  };
  saveCheckpoint(run, checkpoint.step, [
    { path: OPTIMIZER, chunks: optimizerChunks },
    ...checkpointFiles("", model, checkpoint.step, checkpoint.weights, { trainer }),
  ]);
}

/** True when `run` holds a checkpoint: a committed `latest`, or an old flat checkpoint. */
export function hasCheckpoint(run: string): boolean {
  return existsSync(join(run, MANIFEST)) || existsSync(join(run, LATEST));
}

/** Reads the newest checkpoint of the run in `run` for `model`, refusing one of another model or spec, or one that does not hold together. */
export function readTrainingCheckpoint(run: string, model: ModelIR): TrainingCheckpoint {
  if (!hasCheckpoint(run)) throw new UserError("MOT510", [run]);
  const dir = checkpointDirectory(run);
  const manifest = readManifest(dir);
  if (manifest.model !== model.name) {
    throw new UserError("MOT511", [run, manifest.model, model.name]);
  }
  if (manifest.extra?.trainer === undefined) throw new UserError("MOT512", [dir]);
  const file = join(dir, MANIFEST);
  const trainer = checked(object({ extra: object({ trainer: trainerSchema }) }), manifest, file).extra.trainer;
  if (trainer.optimizerStep !== manifest.step) {
    throw new UserError("MOT330", [file, "extra.trainer.optimizerStep", `the checkpoint's step (${manifest.step})`, trainer.optimizerStep]);
  }
  if (trainer.modelFingerprint !== modelFingerprint(model)) {
    throw new UserError("MOT513", [run, model.name]);
  }
  const { weights } = readCheckpoint(dir, model);
  let optimizerBytes: Buffer;
  try {
    optimizerBytes = readFileSync(join(dir, OPTIMIZER));
  } catch (error) {
    throw new UserError("MOT201", [join(dir, OPTIMIZER), describeFsError(error)]);
  }
  const needed = Math.max(0, ...manifest.params.map((p) => 2 * (p.offset + p.length)));
  if (optimizerBytes.length < needed) throw new UserError("MOT335", [dir, OPTIMIZER, optimizerBytes.length, MANIFEST, needed]);
  const names = manifest.params.map((p) => p.name);
  if (sha256(tensorChunks(weights, names)) !== trainer.sha256.weights || sha256([optimizerBytes]) !== trainer.sha256.optimizer) {
    throw new UserError("MOT308", [dir, WEIGHTS, OPTIMIZER, MANIFEST]);
  }
  const m: Weights = new Map();
  const v: Weights = new Map();
  for (const p of manifest.params) {
    const copy = (offset: number) => new Float32Array(optimizerBytes.buffer.slice(optimizerBytes.byteOffset + offset, optimizerBytes.byteOffset + offset + p.length));
    m.set(p.name, copy(2 * p.offset));
    v.set(p.name, copy(2 * p.offset + p.length));
  }
  return { step: manifest.step, weights, optimizer: { step: trainer.optimizerStep, m, v }, trainer };
}
