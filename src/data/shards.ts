// Writing a split's token stream as shards: DIR/SPLIT-00000.bin, … of at most
// `shardTokens` ids each, little-endian uint16 or uint32, no header, hashed as
// they are written. Tokens go through a buffer of a MiB of ids, so memory does
// not grow with the data.
import { createHash, type Hash } from "node:crypto";
import { close, closeSync, fsync, ftruncateSync, openSync, read, readSync, rmSync, write } from "node:fs";
import { endianness } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { UserError, describeFsError } from "../base/errors.js";

import { bytesPerToken, type ShardEntry, type SplitEntry, type SplitName, type TokenDtype } from "./manifest.js";

/** The default bound on a shard: 64 Mi tokens (128 MiB of uint16). */
export const SHARD_TOKENS = 64 << 20;
const BUFFER_TOKENS = 1 << 20;
/** Writes in flight at most (bytes) before the reader waits for the disk. */
const SETTLE_BYTES = 16 << 20;
const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);

if (endianness() !== "LE") throw new Error("internal: motc's datasets are little-endian, and so must the machine be");

export function shardName(split: SplitName, index: number): string {
  return `${split}-${String(index).padStart(5, "0")}.bin`;
}

export function tokenArray(dtype: TokenDtype, length: number): Uint16Array | Uint32Array {
  return dtype === "uint16" ? new Uint16Array(length) : new Uint32Array(length);
}

/**
 * Writes are issued from full buffers and run beside the tokenizing (libuv's
 * threads), each at its own offset; `settle` bounds what is in flight, so
 * memory stays a few buffers whatever the speed of the disk.
 */
export class ShardWriter {
  readonly shards: ShardEntry[] = [];
  /** Tokens written so far, all shards. */
  tokens = 0;
  documents = 0;
  private buffer: Uint16Array | Uint32Array;
  private buffered = 0;
  private readonly spare: (Uint16Array | Uint32Array)[] = [];
  private current: { fd: number; path: string; hash: Hash; tokens: number; bytes: number; writes: Promise<void>[] } | undefined;
  /** Issued writes and closes, oldest first, with the bytes each holds in memory. */
  private readonly inFlight: { done: Promise<void>; bytes: number }[] = [];
  private inFlightBytes = 0;
  private failure: UserError | undefined;

  constructor(
    private readonly dir: string,
    private readonly split: SplitName,
    private readonly dtype: TokenDtype,
    private readonly shardTokens = SHARD_TOKENS,
  ) {
    this.buffer = this.newBuffer();
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

  /** Waits until at most `bytes` of writes are in flight; throws a write's failure. */
  async settle(bytes = SETTLE_BYTES): Promise<void> {
    while (this.inFlightBytes > bytes || (bytes === 0 && this.inFlight.length > 0)) await this.inFlight[0].done;
    if (this.failure) throw this.failure;
  }

  /** Flushes and closes the last shard and waits for every write: the split as the manifest lists it. */
  async finish(): Promise<SplitEntry> {
    if (this.current) this.close();
    await this.settle(0);
    return { tokens: this.tokens, documents: this.documents, shards: this.shards };
  }

  /** After a failure elsewhere: lets the writes in flight end and closes the open shard. */
  async abandon(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight[0].done;
    if (this.current) closeSync(this.current.fd);
    this.current = undefined;
  }

  private newBuffer(): Uint16Array | Uint32Array {
    return this.spare.pop() ?? tokenArray(this.dtype, Math.min(BUFFER_TOKENS, this.shardTokens));
  }

  private open() {
    const file = shardName(this.split, this.shards.length);
    const path = join(this.dir, file);
    this.current = { fd: openOrFail(path, "w"), path, hash: createHash("sha256"), tokens: 0, bytes: 0, writes: [] };
    this.shards.push({ file, tokens: 0, sha256: "" });
    return this.current;
  }

  private flush(): void {
    if (this.buffered === 0) return;
    const shard = this.current!;
    const buffer = this.buffer;
    const bytes = new Uint8Array(buffer.buffer, 0, this.buffered * buffer.BYTES_PER_ELEMENT);
    shard.hash.update(bytes);
    const done = writeAt(shard.fd, bytes, shard.bytes, shard.path).then(() => void this.spare.push(buffer));
    shard.bytes += bytes.length;
    shard.writes.push(done);
    this.track(done, bytes.length);
    this.buffer = this.newBuffer();
    this.buffered = 0;
  }

  private close(): void {
    this.flush();
    const shard = this.current!;
    Object.assign(this.shards[this.shards.length - 1], { tokens: shard.tokens, sha256: shard.hash.digest("hex") });
    this.current = undefined;
    const closed = Promise.allSettled(shard.writes).then(async () => {
      await fsyncAsync(shard.fd);
      await closeAsync(shard.fd);
    });
    this.track(closed, 0);
  }

  private track(done: Promise<void>, bytes: number): void {
    const entry = {
      done: done.then(
        () => undefined,
        (error: unknown) => void (this.failure ??= error instanceof UserError ? error : new UserError("MOT202", [this.dir, describeFsError(error)])),
      ).finally(() => {
        this.inFlight.splice(this.inFlight.indexOf(entry), 1);
        this.inFlightBytes -= bytes;
      }),
      bytes,
    };
    this.inFlight.push(entry);
    this.inFlightBytes += bytes;
  }
}

async function writeAt(fd: number, bytes: Uint8Array, position: number, path: string): Promise<void> {
  try {
    for (let done = 0; done < bytes.length; ) done += (await writeAsync(fd, bytes, done, bytes.length - done, position + done)).bytesWritten;
  } catch (error) {
    throw new UserError("MOT202", [path, describeFsError(error)]);
  }
}

/**
 * Moves the tokens from `cut` on of a finished split into `to` (the `tail`
 * split): the shard holding `cut` is truncated there and re-hashed, later ones
 * are deleted. Returns the kept split, with its documents (end-of-text ids) recounted.
 */
export async function moveTail(dir: string, from: SplitEntry, dtype: TokenDtype, cut: number, to: ShardWriter, eot: number): Promise<SplitEntry> {
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
        await to.settle();
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
    throw new UserError("MOT202", [path, describeFsError(error)]);
  }
}

/** Fills `into` from `position` on libuv's threads, then calls `done` (with MOT201 if the file ends first). */
export function readAllCallback(fd: number, into: Uint8Array, position: number, path: string, done: (error?: Error) => void, from = 0): void {
  read(fd, into, from, into.length - from, position + from, (error, got) => {
    if (error) return done(new UserError("MOT201", [path, describeFsError(error)]));
    if (got === 0) return done(new UserError("MOT201", [path, "the file is shorter than its manifest says"]));
    if (from + got < into.length) return readAllCallback(fd, into, position, path, done, from + got);
    done();
  });
}

/** Reads exactly `length` bytes at `position` into the start of `into`. */
export function readAll(fd: number, into: Uint8Array, length: number, position: number, path: string): void {
  for (let done = 0; done < length; ) {
    const got = readSync(fd, into, done, length - done, position + done);
    if (got === 0) throw new UserError("MOT201", [path, "the file is shorter than its manifest says"]);
    done += got;
  }
}
