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
import { writeFileAtomic } from "../base/files.js";
import type { Weights } from "../ir/init.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import { MANIFEST, WEIGHTS, readCheckpoint, readManifest, writeCheckpoint } from "./checkpoint.js";
import { modelFingerprint } from "../ir/fingerprint.js";
export { modelFingerprint };
import type { OptimizerState } from "./optimizer.js";
import type { TokenizerName } from "../base/tokenizer.js";

export const OPTIMIZER = "optimizer.bin";

export interface TrainerState {
  version: 1;
  /** sha256 of the model's layers and sizes (its IR without name and recipe). */
  modelFingerprint: string;
  /** The recipe as run, flags applied. */
  recipe: Recipe;
  tokenizer: TokenizerName;
  /** The `--data` sources, the dataset's tokens (both splits) and the sha256 of its manifest.json. */
  data: { sources: string[]; tokens: number; fingerprint: string };
  /** The engine that trained it (CONTRACTS 3): tfjs, or torch (the PyTorch program). */
  engine?: "tfjs" | "torch";
  /** The backend that trained it: a tfjs backend, or torch's cpu/cuda (another continues with last-bit differences). */
  backend?: string;
  /** Updates the optimizer has taken (equals the checkpoint's step). */
  optimizerStep: number;
  /** sha256 of weights.bin and optimizer.bin, to catch a checkpoint torn by a crash. */
  sha256: { weights: string; optimizer: string };
}

export interface TrainingCheckpoint {
  step: number;
  weights: Weights;
  optimizer: OptimizerState;
  trainer: TrainerState;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function weightBytes(model: ModelIR, weights: Weights, names: readonly string[]): Uint8Array {
  const parts = names.map((name) => {
    const values = weights.get(name);
    if (!values) throw new Error(`internal: no tensor ${name} for ${model.name}`);
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  });
  const bytes = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/**
 * Writes optimizer.bin, then the checkpoint (weights.bin, then checkpoint.json
 * last), each through a temporary file and a rename.
 */
export function writeTrainingCheckpoint(
  dir: string,
  model: ModelIR,
  checkpoint: Omit<TrainingCheckpoint, "trainer"> & { trainer: Omit<TrainerState, "sha256"> },
): void {
  const names = [...checkpoint.weights.keys()];
  const interleaved = names.flatMap((name) => [`m:${name}`, `v:${name}`]);
  const moments: Weights = new Map();
  for (const name of names) {
    moments.set(`m:${name}`, checkpoint.optimizer.m.get(name)!);
    moments.set(`v:${name}`, checkpoint.optimizer.v.get(name)!);
  }
  const optimizerBytes = weightBytes(model, moments, interleaved);
  const trainer: TrainerState = {
    ...checkpoint.trainer,
    sha256: { weights: sha256(weightBytes(model, checkpoint.weights, names)), optimizer: sha256(optimizerBytes) },
  };
  writeFileAtomic(join(dir, OPTIMIZER), optimizerBytes);
  writeCheckpoint(dir, model, checkpoint.step, checkpoint.weights, { trainer });
}

/** True when `dir` holds a checkpoint (its manifest exists). */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, MANIFEST));
}

/** Reads a checkpoint written by `motc train` for `model`, refusing one of another model or spec. */
export function readTrainingCheckpoint(dir: string, model: ModelIR): TrainingCheckpoint {
  if (!hasCheckpoint(dir)) throw new UserError("MOT510", [dir]);
  const manifest = readManifest(dir);
  if (manifest.model !== model.name) {
    throw new UserError("MOT511", [dir, manifest.model, model.name]);
  }
  const trainer = manifest.extra?.trainer as TrainerState | undefined;
  if (!trainer || trainer.version !== 1) throw new UserError("MOT512", [dir]);
  if (trainer.modelFingerprint !== modelFingerprint(model)) {
    throw new UserError("MOT513", [dir, model.name]);
  }
  const { weights } = readCheckpoint(dir, model);
  let optimizerBytes: Buffer;
  try {
    optimizerBytes = readFileSync(join(dir, OPTIMIZER));
  } catch (error) {
    throw new UserError("MOT201", [join(dir, OPTIMIZER), describeFsError(error)]);
  }
  const names = manifest.params.map((p) => p.name);
  if (sha256(weightBytes(model, weights, names)) !== trainer.sha256.weights || sha256(optimizerBytes) !== trainer.sha256.optimizer) {
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
