// `motc data prepare`: inputs → documents → token ids → train and val shards →
// manifest.json, streamed, into DIR.tmp-PID beside DIR, renamed to DIR only when
// complete. A failure or an interrupt removes the temporary directory; one left
// by a killed run (its pid gone) is removed by the next prepare of DIR.
import { existsSync, fsyncSync, mkdirSync, openSync, closeSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { setImmediate } from "node:timers/promises";
import { UserError, describeFsError } from "../base/errors.js";
import { processRunning } from "../base/files.js";
import { tokenizerNamed, type Tokenizer, type TokenizerName } from "../base/tokenizer.js";
import { Random } from "../ir/random.js";
import { MAX_LINE_BYTES, readDocuments } from "./documents.js";
import { pieceEncoder } from "./encode.js";
import { listInputs, type InputFile } from "./inputs.js";
import {
  DATASET_FORMAT, MANIFEST, dtypeFor, fingerprintOf, manifestText, noneSkipped,
  type DatasetManifest, type SourceEntry, type SplitName, type SplitRule, type TokenDtype,
} from "./manifest.js";
import { moveTail, ShardWriter, SHARD_TOKENS } from "./shards.js";

export interface PrepareOptions {
  inputs: readonly string[];
  out: string;
  tokenizer: TokenizerName;
  /** The JSON field that holds a record's text. */
  field: string;
  split: SplitRule;
  strict: boolean;
  force: boolean;
  shardTokens?: number;
  /** JSON lines longer than this are skipped (default MAX_LINE_BYTES, 64 MiB). */
  maxLineBytes?: number;
  /** Aborting stops at the next piece of input and removes everything written. */
  signal?: AbortSignal;
  /** Told of each chunk of input read (its bytes on disk) and the tokens written so far. */
  onProgress?: (bytes: number, tokens: number) => void;
}

export interface PreparedDataset {
  dir: string;
  manifest: DatasetManifest;
  /** sha256 of manifest.json: the dataset's identity. */
  fingerprint: string;
}

/** Where DIR is written until it is complete. */
export function temporaryDir(out: string): string {
  return `${out}.tmp-${process.pid}`;
}

/** Prepares `options.inputs`; the caller may pass them already listed (it wanted their size for a progress bar). */
export async function prepareDataset(options: PrepareOptions, inputs = listInputs(options.inputs)): Promise<PreparedDataset> {
  checkOutput(options.out, options.force);
  const tokenizer = await tokenizerNamed(options.tokenizer);
  removeStale(options.out);
  const temporary = temporaryDir(options.out);
  try {
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary, { recursive: true });
    const manifest = await writeShards(temporary, inputs, tokenizer, options);
    const text = manifestText(manifest);
    writeSynced(join(temporary, MANIFEST), text);
    commit(temporary, options.out);
    return { dir: options.out, manifest, fingerprint: fingerprintOf(text) };
  } catch (error) {
    removeQuietly(temporary);
    // A file-system call of this module (mkdir, rename) failed: say so in one line.
    if (!(error instanceof UserError) && typeof (error as NodeJS.ErrnoException)?.code === "string") {
      throw new UserError("MOT202", [options.out, describeFsError(error)]);
    }
    throw error;
  }
}

async function writeShards(dir: string, inputs: readonly InputFile[], tokenizer: Tokenizer, options: PrepareOptions): Promise<DatasetManifest> {
  const dtype = dtypeFor(tokenizer.vocab);
  const shardTokens = options.shardTokens ?? SHARD_TOKENS;
  const writers: Writers = { train: new ShardWriter(dir, "train", dtype, shardTokens), val: new ShardWriter(dir, "val", dtype, shardTokens) };
  try {
    const { documents, sources, skipped } = await writeDocuments(inputs, tokenizer, writers, options);
    if (documents === 0) throw new UserError("MOT608", [describeSkipped(skipped)]);
    const splits = await finishSplits(dir, writers, tokenizer.endOfText, dtype, documents, options.split);
    return {
      format: DATASET_FORMAT,
      version: 1,
      tokenizer: tokenizer.name,
      vocab: tokenizer.vocab,
      dtype,
      eot: tokenizer.endOfText,
      splits,
      split: options.split,
      sources,
      skipped,
    };
  } catch (error) {
    await Promise.all([writers.train.abandon(), writers.val.abandon()]);
    throw error;
  }
}

type Writers = Record<SplitName, ShardWriter>;

/** Every document of the inputs, tokenized and ended with end-of-text, into the split chosen for it. */
async function writeDocuments(inputs: readonly InputFile[], tokenizer: Tokenizer, writers: Writers, options: PrepareOptions) {
  const skipped = noneSkipped();
  const encode = pieceEncoder(tokenizer, skipped);
  const splitOf = splitChooser(options.split);
  const sources: SourceEntry[] = [];
  const readOptions = {
    field: options.field,
    maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
    strict: options.strict,
    skipped,
    onBytes: (bytes: number) => options.onProgress?.(bytes, writers.train.tokens + writers.val.tokens),
  };
  let documents = 0;
  let yielded = performance.now();
  for (const input of inputs) {
    const source: SourceEntry = { path: input.path, bytes: 0, sha256: "" };
    sources.push(source);
    let writer: ShardWriter | undefined;
    for await (const piece of readDocuments(input, readOptions, source)) {
      // Input read from memory or cache never waits: let a pending signal's handler run.
      if (performance.now() - yielded > 50) {
        await setImmediate();
        yielded = performance.now();
      }
      if (options.signal?.aborted) throw new UserError("MOT617", [options.out]);
      writer ??= writers[splitOf(documents)];
      encode(piece.content, (ids) => writer!.write(ids));
      if (piece.last) {
        writer.endDocument(tokenizer.endOfText);
        documents += 1;
        writer = undefined;
      }
      await writers.train.settle();
      await writers.val.settle();
    }
  }
  return { documents, sources, skipped };
}

/** Closes both splits (for `tail`, after moving the end of train into val) and refuses an empty one. */
async function finishSplits(dir: string, writers: Writers, eot: number, dtype: TokenDtype, documents: number, rule: SplitRule) {
  let train = await writers.train.finish();
  if (rule.method === "tail") {
    const held = rule.val < 1 ? Math.floor(train.tokens * rule.val) : Math.min(rule.val, train.tokens);
    train = await moveTail(dir, train, dtype, train.tokens - held, writers.val, eot);
  }
  const val = await writers.val.finish();
  const flag = `${rule.method === "tail" ? "--val-tail" : "--val"} ${rule.val}`;
  if (train.tokens === 0) throw new UserError("MOT614", [flag, val.tokens]);
  if (val.tokens === 0 && rule.val > 0) throw new UserError("MOT613", [flag, counted(documents, "document"), train.tokens]);
  return { train, val };
}

/**
 * Which split the document with this index (0-based, in input order, skipped
 * records not counted) goes to. `random` draws from the seed and the index
 * alone, so the choice does not depend on what else is in the inputs.
 */
function splitChooser(rule: SplitRule): (index: number) => "train" | "val" {
  switch (rule.method) {
    case "random":
      return (index) => (new Random(rule.seed ?? 0, `data.val.${index}`).uniform() < rule.val ? "val" : "train");
    case "first":
      return (index) => (index < rule.val ? "val" : "train");
    case "tail":
      return () => "train";
  }
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function describeSkipped(skipped: Record<string, number>): string {
  const parts = Object.entries(skipped).filter(([, n]) => n > 0).map(([key, n]) => `${n} ${key.replace("_", " ")}`);
  return parts.length === 0 ? "no records" : `skipped: ${parts.join(", ")}`;
}

/** DIR may be absent or an empty directory; one holding a dataset is replaced only with --force. */
function checkOutput(out: string, force: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError("MOT611", [out]);
  if (existsSync(join(out, MANIFEST))) {
    if (!force) throw new UserError("MOT610", [out]);
    return;
  }
  if (readdirSync(out).length > 0) throw new UserError("MOT611", [out]);
}

function commit(temporary: string, out: string): void {
  if (!existsSync(out)) {
    renameSync(temporary, out);
    return;
  }
  const old = `${out}.old-${process.pid}`;
  renameSync(out, old);
  renameSync(temporary, out);
  rmSync(old, { recursive: true, force: true });
}

/** DIR.tmp-PID and DIR.old-PID left behind by a run that was killed (its pid is gone). */
function removeStale(out: string): void {
  const parent = dirname(out);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) return;
  const pattern = new RegExp(`^${escape(basename(out))}\\.(tmp|old)-(\\d+)$`);
  for (const name of readdirSync(parent)) {
    const match = pattern.exec(name);
    if (match && !processRunning(Number(match[2]))) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** Cleanup on the way out of a failure: the failure is what the user needs to hear of. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // nothing was made there
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}


function writeSynced(path: string, text: string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
