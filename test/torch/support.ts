// Running generated PyTorch programs in the tests: writing a program with given
// weights, forward passes through test/torch/forward.py (many programs in one
// Python process), reading .npy files, and train.py runs on small prepared
// datasets written here in the format of `motc data prepare` (CONTRACTS 1).
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR, Recipe } from "../../src/ir/model.js";
import { writeTorchProgram } from "../../src/train/torch-program.js";
import { python } from "../support/checkers.js";

export const forwardScript = fileURLToPath(new URL("../../../test/torch/forward.py", import.meta.url));

/** One thread per Python process: the tests run beside each other on two cores. */
export const pythonEnv = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" };

/** Writes the program of `model` into DIR (model.py, train.py with a recipe, initial/ = `weights`). */
export function writeProgram(dir: string, model: ModelIR, weights: Weights, recipe?: Recipe): string {
  writeTorchProgram(dir, model, weights, { recipe, spec: `${model.name}.mot` });
  return dir;
}

export interface ForwardJob {
  program: string;
  /** A checkpoint directory (or a run directory with `latest`). */
  weights: string;
  ids: number[][];
  training?: boolean;
  /** With targets: the loss (training mode) and its gradients. */
  targets?: number[][];
}

/** Logits [B·T·vocab] of every job, and the moe auxiliary losses of the training-mode ones. */
export function runForward(dir: string, jobs: readonly ForwardJob[]): { logits: Float32Array; aux: number[]; loss?: number; grads?: Record<string, number[]> }[] {
  mkdirSync(dir, { recursive: true });
  const files = jobs.map((job, i) => {
    const ids = join(dir, `ids-${i}.json`);
    writeFileSync(ids, JSON.stringify(job.ids));
    const targets = job.targets && join(dir, `targets-${i}.json`);
    if (targets) writeFileSync(targets, JSON.stringify(job.targets));
    return { program: job.program, weights: job.weights, ids, targets, out: join(dir, `logits-${i}.npy`), training: job.training ?? Boolean(targets) };
  });
  writeFileSync(join(dir, "jobs.json"), JSON.stringify(files));
  const result = spawnSync(python, [forwardScript, join(dir, "jobs.json")], { encoding: "utf8", env: pythonEnv, timeout: 600_000, maxBuffer: 1 << 28 });
  checkRun(result, "forward.py");
  const outputs = JSON.parse(result.stdout) as { aux: number[]; loss?: number; grads?: Record<string, number[]> }[];
  return files.map((file, i) => ({ ...outputs[i], logits: readNpy(file.out) }));
}

export function checkRun(result: SpawnSyncReturns<string>, what: string): void {
  if (result.status !== 0) throw new Error(`${what} failed (${result.status ?? result.signal}): ${(result.stderr || result.error?.message || "").trim().split("\n").slice(-5).join("\n")}`);
}

/** A float32 .npy file's values (format 1.0, little-endian, C order). */
export function readNpy(path: string): Float32Array {
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 6).toString("latin1") !== "\x93NUMPY") throw new Error(`${path}: not a .npy file`);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString("latin1");
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False")) throw new Error(`${path}: not float32 C order: ${header}`);
  const data = bytes.subarray(10 + headerLength);
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** The shape a .npy file's header declares. */
export function npyShape(path: string): number[] {
  const bytes = readFileSync(path);
  const header = bytes.subarray(10, 10 + bytes.readUInt16LE(8)).toString("latin1");
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1];
  return shape.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
}

/**
 * A prepared dataset in the format of `motc data prepare` (CONTRACTS 1): the
 * given token streams of the train and val splits, cut into shards of at most
 * `shardTokens`, uint16 (or uint32 above vocab 65536), and manifest.json.
 */
export function writeDataset(dir: string, splits: { train: ArrayLike<number>; val: ArrayLike<number> }, options: { vocab?: number; tokenizer?: string; eot?: number; shardTokens?: number } = {}): string {
  const vocab = options.vocab ?? 256;
  const dtype = vocab <= 65536 ? "uint16" : "uint32";
  const shardTokens = options.shardTokens ?? 1 << 20;
  mkdirSync(dir, { recursive: true });
  const manifestSplits: Record<string, unknown> = {};
  for (const [name, tokens] of Object.entries(splits)) {
    const shards = [];
    for (let start = 0, index = 0; start < tokens.length; start += shardTokens, index++) {
      const slice = Array.from({ length: Math.min(shardTokens, tokens.length - start) }, (_, i) => tokens[start + i]);
      const bytes = dtype === "uint16" ? new Uint8Array(Uint16Array.from(slice).buffer) : new Uint8Array(Uint32Array.from(slice).buffer);
      const file = `${name}-${String(index).padStart(5, "0")}.bin`;
      writeFileSync(join(dir, file), bytes);
      shards.push({ file, tokens: slice.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
    manifestSplits[name] = { tokens: tokens.length, documents: 1, shards };
  }
  const manifest = {
    format: "motc-dataset", version: 1, tokenizer: options.tokenizer ?? "bytes", vocab, dtype, eot: options.eot ?? 0,
    splits: manifestSplits, split: { method: "test", val: 0, seed: 0 }, sources: [{ path: "test", bytes: 0, sha256: "" }], skipped: {},
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

/** Byte tokens of an English text of at least `length` bytes (a test corpus). */
export function textTokens(length: number): number[] {
  const text = "The jury said it did find that many of Georgia's registration and election laws are outmoded or inadequate. ";
  return Array.from(new TextEncoder().encode(text.repeat(Math.ceil(length / text.length)).slice(0, length)));
}

/** A record train.py prints with --progress json (metrics records and its own). */
export interface TrainRecord {
  kind: string;
  step?: number;
  loss?: number;
  eval_loss?: number;
  code?: string;
  args?: (string | number)[];
  [key: string]: unknown;
}

/** Runs PROGRAM/train.py with --progress json; its exit status, records (stdout) and stderr. */
export function runTrain(program: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number; records: TrainRecord[]; stderr: string } {
  const result = spawnSync(python, [join(program, "train.py"), "--progress", "json", ...args], {
    encoding: "utf8", env: { ...pythonEnv, ...env }, timeout: 300_000,
  });
  if (result.error) throw result.error;
  const records = result.stdout.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line) as TrainRecord);
  return { status: result.status ?? -1, records, stderr: result.stderr };
}

/** The losses of a run's records: train losses by step, then eval losses by step. */
export function curve(records: readonly { kind: string; step?: number; loss?: number; eval_loss?: number }[]): { train: number[]; eval: [number, number][] } {
  const train = records.filter((r) => r.kind === "train").map((r) => r.loss!);
  const evals = records.filter((r) => r.kind === "eval").map((r) => [r.step!, r.eval_loss!] as [number, number]);
  return { train, eval: evals };
}
