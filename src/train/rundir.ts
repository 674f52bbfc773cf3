// The run directory of `motc train` (README "Training outputs"; CONTRACTS 4),
// atomic as a whole:
//   RUN/checkpoint-000030/   a complete checkpoint (checkpoint.ts, resume.ts)
//   RUN/checkpoint-000020/   the one before it, kept until a newer one is complete
//   RUN/latest               one line: the name of the newest complete checkpoint
//   RUN/lock                 the pid of the run writing here
// Saving step s writes every file into RUN/checkpoint-00000s.tmp-PID/ (fsynced),
// renames that directory into place, then replaces RUN/latest through
// latest.tmp-PID and a rename: that rename is the commit point. Only then are
// older checkpoints and the temporaries of dead processes removed. A kill at any
// instant leaves `latest` naming a complete checkpoint (or no `latest` before the
// first save), so `--resume` and every reader always find a whole checkpoint.
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../base/errors.js";
import { faultDue } from "../base/faults.js";
import { processRunning, writeFailure, type FileChunks } from "../base/files.js";
import { LATEST, MANIFEST } from "./checkpoint.js";

export const LOCK = "lock";

/** `checkpoint-000030`: the step zero-padded to six digits (more when it needs them). */
export function checkpointName(step: number): string {
  return `checkpoint-${String(step).padStart(6, "0")}`;
}

/** Whether `name` is one checkpointName() could have made. */
export function isCheckpointName(name: string): boolean {
  return /^checkpoint-\d{6,}$/.test(name);
}

/**
 * Saves `files` (paths relative to the checkpoint) as step `step` of the run in
 * `run`, then points `latest` at it, then removes every checkpoint but it and the
 * one `latest` named before, and temporaries left by dead processes.
 */
export function saveCheckpoint(run: string, step: number, files: readonly FileChunks[]): void {
  const name = checkpointName(step);
  const previous = latestName(run);
  if (previous === name) throw new Error(`internal: step ${step} is already the latest checkpoint of ${run}`);
  // A directory of this name that `latest` does not name is a checkpoint a killed
  // run completed but never committed: nothing reads it, so it is replaced.
  writeDirectory(join(run, name), files);
  writeCommitted(join(run, LATEST), `${name}\n`);
  prune(run, [name, previous]);
}

/** The checkpoint `latest` names, or undefined before the first save. */
export function latestName(run: string): string | undefined {
  const path = join(run, LATEST);
  if (!existsSync(path)) return undefined;
  return readFileSync(path, "utf8").trim();
}

/**
 * Writes `files` (relative paths) into a new directory `dir` as one: into
 * DIR.tmp-PID/, every file fsynced, then one rename (an old DIR is removed
 * first). A reader sees no DIR or the whole of it; a failure leaves neither.
 */
export function writeDirectory(dir: string, files: readonly FileChunks[]): void {
  const temporary = `${dir}.tmp-${process.pid}`;
  let current = join(dir, files[0]?.path ?? "");
  let created: string | undefined;
  try {
    created = mkdirSync(dirname(dir), { recursive: true });
    // Only a process with this pid before us (a container restarted) can have left it.
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary);
    for (const file of files) {
      current = join(dir, file.path);
      mkdirSync(dirname(join(temporary, file.path)), { recursive: true });
      writeSynced(join(temporary, file.path), file.chunks);
    }
    syncDirectory(temporary);
    current = dir;
    rmSync(dir, { recursive: true, force: true });
    rename(temporary, dir);
    syncDirectory(dirname(dir));
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    if (created) removeEmptyDirectories(dirname(dir), created);
    throw new UserError("MOT202", [current, writeFailure(error, current)]);
  }
}

/** Replaces the file `path` with `text` through PATH.tmp-PID, fsynced, and a rename. */
export function writeCommitted(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeSynced(temporary, [new TextEncoder().encode(text)]);
    rename(temporary, path);
    syncDirectory(dirname(path));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new UserError("MOT202", [path, writeFailure(error, path)]);
  }
}

/**
 * Removes every checkpoint of `run` but those in `keep`, the files of an old
 * flat checkpoint in RUN itself (its manifest first: readers prefer it to
 * `latest`), and temporaries of processes that are gone.
 */
function prune(run: string, keep: readonly (string | undefined)[]): void {
  if (existsSync(join(run, MANIFEST))) {
    for (const file of [MANIFEST, "weights.bin", "optimizer.bin"]) rmSync(join(run, file), { force: true });
  }
  for (const entry of readdirSync(run)) {
    if (isCheckpointName(entry) && !keep.includes(entry)) rmSync(join(run, entry), { recursive: true, force: true });
  }
  removeStaleTemporaries(run);
}

/**
 * `motc transition`'s outputs, all or nothing: the checkpoint directory as one
 * (writeDirectory), then the spec beside it, the commit point: a spec beside a
 * checkpoint means both are complete. A checkpoint of a transition without its
 * spec is one a kill interrupted; it is replaced (with a note), while any other
 * existing checkpoint directory is refused. A failure removes what was written.
 */
export function writeSpecAndCheckpoint(out: string, spec: { path: string; text: string }, checkpoint: { dir: string; files: readonly FileChunks[] }, note: (line: string) => void): void {
  removeStaleTemporaries(out);
  if (existsSync(checkpoint.dir)) {
    if (existsSync(spec.path) || !madeByTransition(checkpoint.dir)) throw new UserError("MOT203", [checkpoint.dir]);
    note(`note: ${checkpoint.dir} is left from a transition interrupted before it wrote ${spec.path}: replacing it`);
  }
  let created: string | undefined;
  try {
    created = mkdirSync(out, { recursive: true });
  } catch (error) {
    const path = join(checkpoint.dir, checkpoint.files[0]?.path ?? "");
    throw new UserError("MOT202", [path, writeFailure(error, path)]);
  }
  try {
    writeDirectory(checkpoint.dir, checkpoint.files);
    writeCommitted(spec.path, spec.text);
  } catch (error) {
    rmSync(checkpoint.dir, { recursive: true, force: true });
    if (created) removeEmptyDirectories(out, created);
    throw error;
  }
}

function madeByTransition(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as { extra?: { transition?: unknown } } | null;
    return typeof manifest?.extra?.transition === "object";
  } catch {
    return false;
  }
}

/**
 * Removes the temporaries in `dir` of processes that are not running (a run or a
 * transition killed midway): this writer's `*.tmp-PID` and writeFilesAtomic's
 * `*.PID.tmp` (metrics.jsonl, loss.svg).
 */
export function removeStaleTemporaries(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const pid = /\.tmp-(\d+)$|\.(\d+)\.tmp$/.exec(entry)?.slice(1).find(Boolean);
    if (pid !== undefined && !processRunning(Number(pid))) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

export interface RunLock {
  /** Removes the lock (and the run directory, if locking made it and nothing else was written). */
  release(): void;
}

/**
 * Takes RUN/lock for this process: created exclusively (a hard link of a file
 * that already holds the pid, so the lock never exists empty). A lock of a live
 * process refuses the run, naming its pid; one left by a dead process is taken
 * over, with a note.
 */
export function lockRun(run: string, note: (line: string) => void): RunLock {
  const path = join(run, LOCK);
  let created: string | undefined;
  try {
    created = mkdirSync(run, { recursive: true });
  } catch (error) {
    throw new UserError("MOT202", [path, writeFailure(error, path)]);
  }
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeSynced(temporary, [new TextEncoder().encode(`${process.pid}\n`)], false);
    for (;;) {
      try {
        linkSync(temporary, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = readLockHolder(path);
      if (holder !== undefined && processRunning(holder) && holder !== process.pid) throw new UserError("MOT504", [run, holder, path]);
      // Two runs taking over the same stale lock at the same instant could both
      // remove it; the window is a few microseconds, and each would then hold a
      // lock with its own pid in turn (the second's link fails and it retries).
      note(`note: ${path} was left by ${holder === undefined ? "a process that wrote no pid" : `process ${holder}, which is no longer running`}; taking the run over`);
      rmSync(path, { force: true });
    }
  } catch (error) {
    rmSync(temporary, { force: true });
    if (created) removeEmptyDirectories(run, created);
    if (error instanceof UserError) throw error;
    throw new UserError("MOT202", [path, writeFailure(error, path)]);
  }
  rmSync(temporary, { force: true });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readLockHolder(path) === process.pid) rmSync(path, { force: true });
      if (created) removeEmptyDirectories(run, created);
    },
  };
}

function readLockHolder(path: string): number | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `dir` and its parents up to `top` (the first one mkdirSync made) while they are empty. */
function removeEmptyDirectories(dir: string, top: string): void {
  for (let d = dir; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === top || dirname(d) === d) return;
  }
}

/** Writes and fsyncs a file; `hooked`: a write the fault point run-write counts (a checkpoint's or transition's, not the lock). */
function writeSynced(path: string, chunks: readonly Uint8Array[], hooked = true): void {
  const fd = openSync(path, "w");
  try {
    const killAfter = hooked && faultDue("run-write") ? Math.ceil(chunks.reduce((n, c) => n + c.byteLength, 0) / 2) : Infinity;
    if (killAfter === 0) die();
    let written = 0;
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.byteLength; ) {
        const count = writeSync(fd, chunk, done, Math.min(chunk.byteLength - done, Math.max(1, killAfter - written)));
        done += count;
        written += count;
        if (written >= killAfter) die();
      }
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}

function rename(from: string, to: string): void {
  if (faultDue("run-rename")) die();
  renameSync(from, to);
}

/** The fault injection of src/base/faults.ts at a run write: always SIGKILL, where no handler can tidy up. */
function die(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("internal: SIGKILL did not end the process");
}
