// Reading a prepared dataset without loading it: each split is a TokenSource
// that reads any range of its token stream with positioned reads of the shards
// (across shard boundaries), checking every id against the vocabulary.
import { closeSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";

import { bytesPerToken, readManifest, SPLITS, type DatasetManifest, type SplitName } from "./manifest.js";
import { readAll } from "./shards.js";

/** A stream of token ids, read a range at a time. */
export interface TokenSource {
  readonly length: number;
  /** Fills `into` with tokens[start, start + into.length). */
  read(start: number, into: Int32Array): void;
}

export interface Dataset {
  dir: string;
  manifest: DatasetManifest;
  /** sha256 of manifest.json. */
  fingerprint: string;
  split(name: SplitName): TokenSource;
  /** Closes the shard files (a dataset keeps them open while in use). */
  close(): void;
}

/** Opens DIR: checks the manifest and that every shard is there with the size it lists. */
export function openDataset(dir: string): Dataset {
  const { manifest, fingerprint } = readManifest(dir);
  const width = bytesPerToken(manifest.dtype);
  for (const name of SPLITS) {
    for (const shard of manifest.splits[name].shards) {
      const path = join(dir, shard.file);
      let size: number;
      try {
        size = statSync(path).size;
      } catch (error) {
        throw new UserError("MOT201", [path, describeFsError(error)]);
      }
      if (size !== shard.tokens * width) throw new UserError("MOT622", [dir, shard.file, size, shard.tokens, manifest.dtype]);
    }
  }
  const splits = new Map(SPLITS.map((name) => [name, new ShardedTokens(dir, manifest, name)]));
  return {
    dir,
    manifest,
    fingerprint,
    split: (name) => splits.get(name)!,
    close: () => splits.forEach((split) => split.close()),
  };
}

/** Refuses a dataset whose ids a model cannot embed: its vocabulary is larger than the model's. */
export function checkVocabulary(dataset: Dataset, model: string, vocab: number): void {
  const { tokenizer, vocab: needed } = dataset.manifest;
  if (needed > vocab) throw new UserError("MOT624", [dataset.dir, tokenizer, needed, model, vocab]);
}

class ShardedTokens implements TokenSource {
  readonly length: number;
  private readonly shards: { path: string; start: number; tokens: number; fd?: number }[] = [];
  private readonly width: number;
  private scratch = new Uint8Array(0);

  constructor(
    private readonly dir: string,
    private readonly manifest: DatasetManifest,
    private readonly name: SplitName,
  ) {
    this.width = bytesPerToken(manifest.dtype);
    let start = 0;
    for (const shard of manifest.splits[name].shards) {
      if (shard.tokens === 0) continue;
      this.shards.push({ path: join(dir, shard.file), start, tokens: shard.tokens });
      start += shard.tokens;
    }
    this.length = start;
  }

  read(start: number, into: Int32Array): void {
    if (start < 0 || start + into.length > this.length) {
      throw new Error(`internal: read of tokens [${start}, ${start + into.length}) of a ${this.length}-token split`);
    }
    let done = 0;
    for (let index = this.shardAt(start); done < into.length; index++) {
      const shard = this.shards[index];
      const offset = start + done - shard.start;
      const count = Math.min(into.length - done, shard.tokens - offset);
      this.readShard(shard, offset, count, into.subarray(done, done + count), start + done);
      done += count;
    }
  }

  close(): void {
    for (const shard of this.shards) {
      if (shard.fd !== undefined) closeSync(shard.fd);
      shard.fd = undefined;
    }
  }

  /** The index of the shard holding token `position` (binary search over the starts). */
  private shardAt(position: number): number {
    let low = 0;
    let high = this.shards.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.shards[middle].start <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  private readShard(shard: (typeof this.shards)[number], offset: number, count: number, into: Int32Array, position: number): void {
    const bytes = count * this.width;
    if (this.scratch.length < bytes) this.scratch = new Uint8Array(Math.max(bytes, 2 * this.scratch.length));
    shard.fd ??= openShard(shard.path);
    readAll(shard.fd, this.scratch, bytes, offset * this.width, shard.path);
    const ids = this.width === 2 ? new Uint16Array(this.scratch.buffer, 0, count) : new Uint32Array(this.scratch.buffer, 0, count);
    const vocab = this.manifest.vocab;
    for (let i = 0; i < count; i++) {
      const id = ids[i];
      if (id >= vocab) throw new UserError("MOT623", [this.dir, position + i, this.name, id, vocab]);
      into[i] = id;
    }
  }
}

function openShard(path: string): number {
  try {
    return openSync(path, "r");
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
}

/** Tokens held in memory, as a TokenSource (tests; small generated data). */
export class MemoryTokens implements TokenSource {
  constructor(private readonly tokens: Int32Array) {}

  get length(): number {
    return this.tokens.length;
  }

  read(start: number, into: Int32Array): void {
    if (start < 0 || start + into.length > this.tokens.length) {
      throw new Error(`internal: read of tokens [${start}, ${start + into.length}) of ${this.tokens.length}`);
    }
    into.set(this.tokens.subarray(start, start + into.length));
  }
}

/**
 * Entropy in nats of the unigram distribution of the first `limit` tokens (all
 * of a small split): the loss of a model that ignores context, for the plot.
 */
export function unigramEntropy(source: TokenSource, limit = 64 << 20): number {
  const total = Math.min(source.length, limit);
  let counts: Float64Array = new Float64Array(256);
  const chunk = new Int32Array(1 << 20);
  for (let start = 0; start < total; start += chunk.length) {
    const ids = chunk.subarray(0, Math.min(chunk.length, total - start));
    source.read(start, ids);
    for (const id of ids) {
      if (id >= counts.length) counts = grown(counts, id + 1);
      counts[id] += 1;
    }
  }
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / total;
    entropy -= p * Math.log(p);
  }
  return entropy;
}

function grown(counts: Float64Array, length: number): Float64Array {
  const bigger = new Float64Array(Math.max(length, 2 * counts.length));
  bigger.set(counts);
  return bigger;
}
