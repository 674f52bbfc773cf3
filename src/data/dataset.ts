// Reading a prepared dataset without loading it: each split is a TokenSource
// that reads any range of its token stream with positioned reads of the shards
// (across shard boundaries), checking every id against the vocabulary.
import { closeSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";

import { bytesPerToken, readManifest, SPLITS, type DatasetManifest, type SplitName } from "./manifest.js";
import { readAll, readAllCallback } from "./shards.js";

/** A stream of token ids, read a range at a time. */
export interface TokenSource {
  readonly length: number;
  /** Fills `into` with tokens[start, start + into.length). */
  read(start: number, into: Int32Array): void;
  /** The same, the file reads done on libuv's threads (so they can overlap a training step). */
  readAsync(start: number, into: Int32Array): Promise<void>;
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
  private readonly shards: Shard[] = [];
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
    for (const segment of this.segments(start, into.length)) {
      const bytes = this.scratchFor(segment.count);
      readAll(this.fdOf(segment.shard), bytes, segment.count * this.width, segment.offset * this.width, segment.shard.path);
      this.copy(bytes, segment, into, start);
    }
  }

  readAsync(start: number, into: Int32Array): Promise<void> {
    // Callbacks, not fs.promises: a batch issues one read per window, and each costs the main thread less so.
    const segments = this.segments(start, into.length);
    return new Promise((resolve, reject) => {
      let pending = segments.length;
      if (pending === 0) resolve();
      for (const segment of segments) {
        const bytes = new Uint8Array(segment.count * this.width);
        readAllCallback(this.fdOf(segment.shard), bytes, segment.offset * this.width, segment.shard.path, (error) => {
          if (error) return reject(error);
          try {
            this.copy(bytes, segment, into, start);
          } catch (failure) {
            return reject(failure);
          }
          if (--pending === 0) resolve();
        });
      }
    });
  }

  close(): void {
    for (const shard of this.shards) {
      if (shard.fd !== undefined) closeSync(shard.fd);
      shard.fd = undefined;
    }
  }

  /** tokens[start, start + count) shard by shard: which shard, where in it, where in the output. */
  private segments(start: number, count: number): Segment[] {
    if (start < 0 || start + count > this.length) {
      throw new Error(`internal: read of tokens [${start}, ${start + count}) of a ${this.length}-token split`);
    }
    const segments: Segment[] = [];
    for (let index = this.shardAt(start), done = 0; done < count; index++) {
      const shard = this.shards[index];
      const offset = start + done - shard.start;
      const length = Math.min(count - done, shard.tokens - offset);
      segments.push({ shard, offset, count: length, at: done });
      done += length;
    }
    return segments;
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

  private fdOf(shard: Shard): number {
    return (shard.fd ??= openShard(shard.path));
  }

  private scratchFor(count: number): Uint8Array {
    const bytes = count * this.width;
    if (this.scratch.length < bytes) this.scratch = new Uint8Array(Math.max(bytes, 2 * this.scratch.length));
    return this.scratch;
  }

  /** A segment's ids from its bytes into the output, each checked against the vocabulary. */
  private copy(bytes: Uint8Array, segment: Segment, into: Int32Array, start: number): void {
    const ids = this.width === 2 ? new Uint16Array(bytes.buffer, 0, segment.count) : new Uint32Array(bytes.buffer, 0, segment.count);
    const vocab = this.manifest.vocab;
    for (let i = 0; i < segment.count; i++) {
      const id = ids[i];
      if (id >= vocab) throw new UserError("MOT623", [this.dir, start + segment.at + i, this.name, id, vocab]);
      into[segment.at + i] = id;
    }
  }
}

interface Shard {
  path: string;
  start: number;
  tokens: number;
  fd?: number;
}

interface Segment {
  shard: Shard;
  /** First token in the shard. */
  offset: number;
  count: number;
  /** Where it goes in the output. */
  at: number;
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

  async readAsync(start: number, into: Int32Array): Promise<void> {
    this.read(start, into);
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
