// The checkpoint format, a public interface (README, "Checkpoints"):
//   DIR/checkpoint.json  { format: "motc-checkpoint", version: 1, model, step,
//                          params: [{ name, shape, dtype: "float32", offset, length }], ... }
//   DIR/weights.bin      the tensors, little-endian float32, row-major, concatenated
//                        in parameter-table order; offset/length in bytes.
// A checkpoint is written as a whole directory (rundir.ts), or alone through
// temporary names and renames, the manifest last, so a checkpoint whose manifest
// exists is complete. Readers check every field they read (a schema) and refuse
// a broken file naming the field.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";
import { readText, writeFilesAtomic, type FileChunks } from "../base/files.js";
import {
  SchemaViolation, anyObject, arrayOf, describeValue, nonNegativeInteger, object, oneOf, optional, positiveInteger, printable, refine, sha256Hex, validate,
  type Infer, type Schema,
} from "../base/schema.js";
import { modelFingerprint } from "../ir/fingerprint.js";
import type { Weights } from "../ir/init.js";
import type { ModelIR } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";

const paramSchema = refine(
  object({ name: printable, shape: arrayOf(positiveInteger), dtype: oneOf("float32"), offset: nonNegativeInteger, length: nonNegativeInteger }),
  (p) => (p.length === 4 * paramCount(p.shape) ? undefined : { path: "length", expected: `4 × the product of shape [${p.shape}] (${4 * paramCount(p.shape)})`, got: p.length }),
);

/** checkpoint.json as readers check it; `extra` is the writer's (readers that only want weights ignore it). */
const manifestSchema = object({
  format: oneOf("motc-checkpoint"),
  version: oneOf(1),
  model: printable,
  step: nonNegativeInteger,
  params: refine(arrayOf(paramSchema), (params) => {
    const seen = new Set<string>();
    for (const [i, p] of params.entries()) {
      if (seen.has(p.name)) return { path: `[${i}].name`, expected: "a name no other parameter has", got: p.name };
      seen.add(p.name);
    }
    return undefined;
  }),
  extra: optional(anyObject),
});

export type CheckpointParam = Infer<typeof paramSchema>;
export type CheckpointManifest = Infer<typeof manifestSchema>;

/** What readers that want only the weights read of the trainer's record (resume.ts writes it): to check them against. */
const recordSchema = object({
  extra: optional(object({ trainer: optional(object({ modelFingerprint: optional(sha256Hex), sha256: optional(object({ weights: sha256Hex })) })) })),
});

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

/** A run directory's pointer to its newest complete checkpoint (CONTRACTS 4): one line, its directory name. */
export const LATEST = "latest";

/**
 * The checkpoint a path names (CONTRACTS 4's reader rule): the path itself when it
 * holds checkpoint.json (a checkpoint directory, or an old flat run directory),
 * else the checkpoint its `latest` names (a run directory of either engine).
 */
export function checkpointDirectory(path: string): string {
  if (existsSync(join(path, MANIFEST))) return path;
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UserError("MOT300", [path]);
  const latest = join(path, LATEST);
  if (!existsSync(latest)) throw new UserError("MOT309", [path]);
  const name = readText(latest).trim();
  // Only a sibling checkpoint-NNNNNN: `latest` must not lead a reader out of the run.
  if (!/^checkpoint-\d{6,}$/.test(name)) throw new UserError("MOT331", [latest, describeValue(name)]);
  return join(path, name);
}

export function readManifest(dir: string): CheckpointManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError("MOT300", [dir]);
  if (!existsSync(path)) throw new UserError("MOT301", [dir, MANIFEST]);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    // JSON.parse quotes the text around the error, newlines and all: escaped, the message stays one line.
    const reason = describeFsError(error).replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    throw new UserError("MOT302", [path, reason]);
  }
  const { format, version } = (json ?? {}) as { format?: unknown; version?: unknown };
  if (typeof json !== "object" || json === null || format !== "motc-checkpoint" || version !== 1) throw new UserError("MOT303", [path]);
  return checked(manifestSchema, json, path);
}

/** `value` checked against `schema`, or the file and field it fails at: `DIR/checkpoint.json: params[3].offset: must be …`. */
export function checked<T>(schema: Schema<T>, value: unknown, file: string): T {
  try {
    return validate(schema, value);
  } catch (error) {
    if (!(error instanceof SchemaViolation)) throw error;
    throw new UserError("MOT330", [file, error.path, error.expected, error.got]);
  }
}

export interface ReadOptions {
  /**
   * Also check what the checkpoint records against what is read: the model's
   * fingerprint, the sha256 of weights.bin (both when recorded: `motc train`
   * and the PyTorch engine record them), and that every weight is finite.
   */
  verify?: boolean;
  /** `--force`: a failed check of `verify` becomes this note instead of an error (shapes are still checked). */
  force?: (note: string) => void;
}

export interface CheckpointRead {
  /** The checkpoint directory the path named (the path itself, or its `latest`). */
  dir: string;
  weights: Weights;
  manifest: CheckpointManifest;
}

/**
 * Reads the checkpoint a path names (checkpointDirectory) and checks it against
 * `model`'s parameter table: every parameter present with its shape, nothing
 * extra. A mismatch names the parameter.
 */
export function readCheckpoint(path: string, model: ModelIR, options: ReadOptions = {}): CheckpointRead {
  const dir = checkpointDirectory(path);
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
    if (p.length !== length || p.offset + length > bytes.length) {
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
  if (options.verify) verify(dir, manifest, model, bytes, weights, options.force);
  return { dir, weights, manifest };
}

/** The checks of ReadOptions.verify; each failure an error, or a note under --force. */
function verify(dir: string, manifest: CheckpointManifest, model: ModelIR, bytes: Uint8Array, weights: Weights, force?: (note: string) => void): void {
  const trainer = checked(recordSchema, manifest, join(dir, MANIFEST)).extra?.trainer;
  const refuse = (error: UserError, note: string) => {
    if (!force) throw error;
    force(`note: --force: ${note}`);
  };
  if (trainer?.modelFingerprint !== undefined && trainer.modelFingerprint !== modelFingerprint(model)) {
    refuse(new UserError("MOT332", [dir, manifest.model, model.name]), `using the weights of ${dir}, trained for another definition of '${manifest.model}'`);
  }
  if (trainer?.sha256 !== undefined && createHash("sha256").update(bytes).digest("hex") !== trainer.sha256.weights) {
    refuse(new UserError("MOT333", [dir, WEIGHTS, MANIFEST]), `using ${join(dir, WEIGHTS)}, which does not match the sha256 in ${MANIFEST}`);
  }
  for (const [name, values] of weights) {
    const at = values.findIndex((value) => !Number.isFinite(value));
    if (at >= 0) {
      refuse(new UserError("MOT334", [dir, name, values[at], at]), `using ${dir}, whose parameter '${name}' holds ${values[at]}`);
      break;
    }
  }
}
