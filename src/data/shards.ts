// Writing a split's token stream as shards: DIR/SPLIT-00000.bin, … of at most
// `shardTokens` ids each, little-endian uint16 or uint32, no header, hashed as
// they are written. Tokens go through a buffer of a MiB of ids, so memory does
// not grow with the data.
import { createHash, type Hash } from "node:crypto";
import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { endianness } from "node:os";
import { join } from "node:path";
import { describeFsError } from "../base/errors.js";
import { datasetError } from "./errors.js";
import { bytesPerToken, type ShardEntry, type SplitEntry, type SplitName, type TokenDtype } from "./manifest.js";

/** The default bound on a shard: 64 Mi tokens (128 MiB of uint16). */
export const SHARD_TOKENS = 64 << 20;
const BUFFER_TOKENS = 1 << 20;

if (endianness() !== "LE") throw new Error("internal: motc's datasets are little-endian, and so must the machine be");

export function shardName(split: SplitName, index: number): string {
  return `${split}-${String(index).padStart(5, "0")}.bin`;
}

export function tokenArray(dtype: TokenDtype, length: number): Uint16Array | Uint32Array {
  return dtype === "uint16" ? new Uint16Array(length) : new Uint32Array(length);
}

export class ShardWriter {
  readonly shards: ShardEntry[] = [];
  /** Tokens written so far, all shards. */
  tokens = 0;
  documents = 0;
  private readonly buffer: Uint16Array | Uint32Array;
  private buffered = 0;
  private current: { fd: number; path: string; hash: Hash; tokens: number } | undefined;

  constructor(
    private readonly dir: string,
    private readonly split: SplitName,
    dtype: TokenDtype,
    private readonly shardTokens = SHARD_TOKENS,
  ) {
    this.buffer = tokenArray(dtype, Math.min(BUFFER_TOKENS, shardTokens));
  }

  write(ids: Uint8Array | Uint16Array | Uint32Array | readonly number[]): void {
    for (let from = 0; from < ids.length; ) {
      const shard = this.current ?? this.open();
      const room = Math.min(this.buffer.length - this.buffered, this.shardTokens - shard.tokens);
      const count = Math.min(room, ids.length - from);
      this.buffer.set(from === 0 && count === ids.length ? ids : part(ids, from, from + count), this.buffered);
      this.buffered += count;
      shard.tokens += count;
      this.tokens += count;
      from += count;
      if (shard.tokens === this.shardTokens) this.close();
      else if (this.buffered === this.buffer.length) this.flush();
    }
  }

  /** Ends a document with the end-of-text id. */
  endDocument(eot: number): void {
    this.write([eot]);
    this.documents += 1;
  }

  /** Flushes and closes the last shard: the split as the manifest lists it. */
  finish(): SplitEntry {
    if (this.current) this.close();
    return { tokens: this.tokens, documents: this.documents, shards: this.shards };
  }

  private open() {
    const file = shardName(this.split, this.shards.length);
    const path = join(this.dir, file);
    this.current = { fd: openOrFail(path, "w"), path, hash: createHash("sha256"), tokens: 0 };
    this.shards.push({ file, tokens: 0, sha256: "" });
    return this.current;
  }

  private flush(): void {
    const shard = this.current!;
    const bytes = new Uint8Array(this.buffer.buffer, 0, this.buffered * this.buffer.BYTES_PER_ELEMENT);
    writeAll(shard.fd, bytes, shard.path);
    shard.hash.update(bytes);
    this.buffered = 0;
  }

  private close(): void {
    const shard = this.current!;
    this.flush();
    fsyncSync(shard.fd);
    closeSync(shard.fd);
    Object.assign(this.shards[this.shards.length - 1], { tokens: shard.tokens, sha256: shard.hash.digest("hex") });
    this.current = undefined;
  }
}

/**
 * Moves the tokens from `cut` on of a finished split into `to` (the `tail`
 * split): the shard holding `cut` is truncated there and re-hashed, later ones
 * are deleted. Returns the kept split, with its documents (end-of-text ids) recounted.
 */
export function moveTail(dir: string, from: SplitEntry, dtype: TokenDtype, cut: number, to: ShardWriter, eot: number): SplitEntry {
  const width = bytesPerToken(dtype);
  const chunk = tokenArray(dtype, BUFFER_TOKENS);
  const bytes = new Uint8Array(chunk.buffer);
  const kept: ShardEntry[] = [];
  let moved = 0;
  let offset = 0;
  for (const shard of from.shards) {
    const path = join(dir, shard.file);
    const keep = Math.max(0, Math.min(shard.tokens, cut - offset));
    offset += shard.tokens;
    if (keep === shard.tokens) {
      kept.push(shard);
      continue;
    }
    const fd = openOrFail(path, "r+");
    try {
      for (let at = keep; at < shard.tokens; ) {
        const count = Math.min(chunk.length, shard.tokens - at);
        readAll(fd, bytes, count * width, at * width, path);
        const ids = chunk.subarray(0, count);
        for (const id of ids) if (id === eot) moved++;
        to.write(ids);
        at += count;
      }
      if (keep > 0) {
        ftruncateSync(fd, keep * width);
        kept.push({ file: shard.file, tokens: keep, sha256: hashFile(fd, keep * width, bytes, path) });
      }
    } finally {
      closeSync(fd);
    }
    if (keep === 0) rmSync(path);
  }
  to.documents += moved;
  return { tokens: Math.min(cut, from.tokens), documents: from.documents - moved, shards: kept };
}

/** ids[from, to) without copying a typed array. */
function part(ids: Uint8Array | Uint16Array | Uint32Array | readonly number[], from: number, to: number): ArrayLike<number> {
  return Array.isArray(ids) ? ids.slice(from, to) : (ids as Uint8Array).subarray(from, to);
}

function hashFile(fd: number, length: number, scratch: Uint8Array, path: string): string {
  const hash = createHash("sha256");
  for (let at = 0; at < length; ) {
    const count = Math.min(scratch.length, length - at);
    readAll(fd, scratch, count, at, path);
    hash.update(scratch.subarray(0, count));
    at += count;
  }
  return hash.digest("hex");
}

function openOrFail(path: string, flags: string): number {
  try {
    return openSync(path, flags);
  } catch (error) {
    throw datasetError("MOT612", [path, describeFsError(error)]);
  }
}

function writeAll(fd: number, bytes: Uint8Array, path: string): void {
  try {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
  } catch (error) {
    throw datasetError("MOT612", [path, describeFsError(error)]);
  }
}

/** Reads exactly `length` bytes at `position` into the start of `into`. */
export function readAll(fd: number, into: Uint8Array, length: number, position: number, path: string): void {
  for (let done = 0; done < length; ) {
    const got = readSync(fd, into, done, length - done, position + done);
    if (got === 0) throw datasetError("MOT600", [path, "the file is shorter than its manifest says"]);
    done += got;
  }
}
