// The checkpoint format, a public interface (README, "Checkpoints"):
//   DIR/checkpoint.json  { format: "motc-checkpoint", version: 1, model, step,
//                          params: [{ name, shape, dtype: "float32", offset, length }], ... }
//   DIR/weights.bin      the tensors, little-endian float32, row-major, concatenated
//                        in parameter-table order; offset/length in bytes.
// Both files are written to temporary names, then renamed; the manifest is
// renamed last, so a checkpoint whose manifest exists is complete.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";
import { writeFilesAtomic, type FileChunks } from "../base/files.js";
import type { Weights } from "../ir/init.js";
import type { ModelIR } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";

export interface CheckpointParam {
  name: string;
  shape: number[];
  dtype: "float32";
  offset: number;
  length: number;
}

export interface CheckpointManifest {
  format: "motc-checkpoint";
  version: 1;
  model: string;
  step: number;
  params: CheckpointParam[];
  /** Anything else the trainer needs to resume (optimizer moments live in other files it names). */
  extra?: Record<string, unknown>;
}

export const MANIFEST = "checkpoint.json";
export const WEIGHTS = "weights.bin";

export function writeCheckpoint(dir: string, model: ModelIR, step: number, weights: Weights, extra?: Record<string, unknown>): void {
  writeFilesAtomic(checkpointFiles(dir, model, step, weights, extra));
}

/**
 * A checkpoint's two files as they would be written, the manifest last: for
 * writeFilesAtomic, alone or together with other files (motc transition writes
 * a spec beside it). The tensors are views of `weights`, not copies.
 */
export function checkpointFiles(dir: string, model: ModelIR, step: number, weights: Weights, extra?: Record<string, unknown>): FileChunks[] {
  const params: CheckpointParam[] = [];
  const tensors: Uint8Array[] = [];
  let offset = 0;
  for (const spec of parameterTable(model)) {
    const values = weights.get(spec.name);
    if (!values) throw new Error(`internal: no weights for ${spec.name}`);
    params.push({ name: spec.name, shape: spec.shape, dtype: "float32", offset, length: values.byteLength });
    tensors.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    offset += values.byteLength;
  }
  const manifest: CheckpointManifest = { format: "motc-checkpoint", version: 1, model: model.name, step, params, extra };
  return [
    { path: join(dir, WEIGHTS), chunks: tensors },
    { path: join(dir, MANIFEST), chunks: [new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n")] },
  ];
}

export function readManifest(dir: string): CheckpointManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError("MOT300", [dir]);
  if (!existsSync(path)) throw new UserError("MOT301", [dir, MANIFEST]);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as CheckpointManifest;
  } catch (error) {
    throw new UserError("MOT302", [path, describeFsError(error)]);
  }
  if (manifest.format !== "motc-checkpoint" || manifest.version !== 1 || !Array.isArray(manifest.params)) {
    throw new UserError("MOT303", [path]);
  }
  return manifest;
}

/**
 * Reads a checkpoint and checks it against `model`'s parameter table: every
 * parameter present with its shape, nothing extra. A mismatch names the parameter.
 */
export function readCheckpoint(dir: string, model: ModelIR): { weights: Weights; manifest: CheckpointManifest } {
  const manifest = readManifest(dir);
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, WEIGHTS));
  } catch (error) {
    throw new UserError("MOT201", [join(dir, WEIGHTS), describeFsError(error)]);
  }
  const stored = new Map(manifest.params.map((p) => [p.name, p]));
  const weights: Weights = new Map();
  for (const spec of parameterTable(model)) {
    const p = stored.get(spec.name);
    if (!p) throw new UserError("MOT304", [dir, spec.name, manifest.model]);
    if (p.shape.join(",") !== spec.shape.join(",")) {
      throw new UserError("MOT305", [dir, spec.name, String(p.shape), String(spec.shape)]);
    }
    const length = paramCount(spec.shape) * 4;
    if (p.dtype !== "float32" || p.length !== length || p.offset + length > bytes.length) {
      throw new UserError("MOT306", [dir, spec.name]);
    }
    // A view into the one read buffer when aligned (it is for every file motc
    // writes); a copy otherwise. Copying 330 MB of tensors costs ~0.5 s.
    const start = bytes.byteOffset + p.offset;
    weights.set(spec.name, start % 4 === 0 ? new Float32Array(bytes.buffer, start, length / 4) : new Float32Array(bytes.buffer.slice(start, start + length)));
    stored.delete(spec.name);
  }
  const extra = [...stored.keys()];
  if (extra.length > 0) throw new UserError("MOT307", [dir, extra[0], model.name]);
  return { weights, manifest };
}
