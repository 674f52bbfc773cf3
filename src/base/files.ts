// Reading inputs and writing outputs so that nothing is ever half-written: every
// output goes to a temporary file (`NAME.PID.tmp`) in the same directory and is
// renamed into place. A write in progress is registered, so that a command
// ended by a signal can remove its temporaries (abandonWrites, called from
// src/cli/signals.ts); a temporary whose process died without that chance
// (SIGKILL, a power cut) is removed by the next write to the same path.
import {
  closeSync, constants, existsSync, fchmodSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync,
  renameSync, rmdirSync, rmSync, statSync, writeSync, type Stats,
} from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { UserError, describeFsError } from "./errors.js";
import { faultPoint } from "./faults.js";
import { decodeLossless } from "./text.js";

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
}

/**
 * The text of `path`, refused at once — before a byte is read — when it is not
 * a regular file (a directory, /dev/zero, a FIFO that would block) or is larger
 * than `maxBytes`. Bytes that are not UTF-8 survive as escapes (src/base/text.ts),
 * so writing the text back with encodeLossless gives the same bytes.
 */
export function readBoundedText(path: string, maxBytes: number, what: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UserError("MOT204", [path, fileKind(stat)]);
    if (stat.size > maxBytes) throw tooLarge(path, stat.size, maxBytes, what);
    // Read at most one byte past the limit: a file that grows after fstat is still refused.
    const buffer = new Uint8Array(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (let got = -1; got !== 0 && length < buffer.length; length += got) {
      got = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > maxBytes) throw tooLarge(path, length, maxBytes, what);
    return decodeLossless(buffer.subarray(0, length));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError("MOT201", [path, describeFsError(error)]);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(path: string, size: number, maxBytes: number, what: string): UserError {
  const bytes = (n: number) => n.toLocaleString("en-US");
  return new UserError("MOT205", [path, `${bytes(size)}${size > maxBytes ? "" : "+"} bytes`, what, `${bytes(maxBytes)} bytes`]);
}

/** "a directory", "a FIFO", …: what a path that is not a regular file is. */
function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Writes `data` to `path` through a temporary file in the same directory and a
 * rename, so a reader never sees a half-written file and a failure leaves none.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  writeFilesAtomic([{ path, chunks: [typeof data === "string" ? new TextEncoder().encode(data) : data] }], options);
}

/** One file for writeFilesAtomic: its path and its bytes, as chunks written one after another. */
export interface FileChunks {
  path: string;
  chunks: readonly Uint8Array[];
}

export interface WriteOptions {
  /** Permission bits of the written files (e.g. the mode of the file being replaced); default 0666 less the umask. */
  mode?: number;
}

/**
 * Writes several files, each given as chunks written one after another (large
 * buffers are not joined first), all-or-nothing: every file goes to a temporary
 * name, then they are renamed in order — list the file that makes the set
 * usable (e.g. a model beside its external data) last. A failure removes them
 * all, and the directories this call created for them.
 */
export function writeFilesAtomic(files: readonly FileChunks[], options: WriteOptions = {}): void {
  const write = new AtomicWrite(files, options.mode);
  try {
    write.files.forEach((file, i) => {
      const fd = write.open(i);
      try {
        for (const chunk of file.chunks) {
          for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done, chunk.byteLength - done);
        }
      } finally {
        closeSync(fd);
      }
    });
    write.commit();
  } catch (error) {
    throw write.fail(error);
  }
}

/**
 * writeFilesAtomic for large outputs (a compiled model): the same files and
 * guarantees, but each chunk is written asynchronously, so a signal that
 * arrives mid-write is handled at once — its handler calls abandonWrites()
 * and no temporary is left — instead of after the last byte.
 */
export async function writeFilesAtomicAsync(files: readonly FileChunks[], options: WriteOptions = {}): Promise<void> {
  const write = new AtomicWrite(files, options.mode);
  try {
    for (const [i, file] of write.files.entries()) {
      const handle = await open(write.temporary(i), "w", write.mode);
      write.opened(i);
      try {
        if (write.mode !== undefined) await handle.chmod(write.mode);
        for (const chunk of file.chunks) {
          for (let done = 0; done < chunk.byteLength; ) done += (await handle.write(chunk, done, chunk.byteLength - done)).bytesWritten;
          faultPoint("write-chunk");
        }
      } finally {
        await handle.close();
      }
    }
    write.commit();
  } catch (error) {
    throw write.fail(error);
  }
}

/** Writes in progress in this process (normally none or one), for abandonWrites. */
const inProgress = new Set<AtomicWrite>();

/**
 * Removes the temporaries of every write in progress and the directories
 * those writes made. For a signal handler about to end the process
 * (src/cli/signals.ts); synchronous, so it completes before the exit.
 */
export function abandonWrites(): void {
  for (const write of inProgress) write.rollback();
  inProgress.clear();
}

/** One all-or-nothing write of several files: where each goes, what it made, and how to undo it. */
class AtomicWrite {
  private readonly temporaries: string[];
  private readonly started = new Set<number>();
  private readonly renamed: string[] = [];
  private readonly created: string[][] = [];
  private current: string;

  constructor(readonly files: readonly FileChunks[], readonly mode?: number) {
    this.temporaries = files.map((f) => temporaryName(f.path, process.pid));
    this.current = files[0]?.path ?? "";
    inProgress.add(this);
  }

  temporary(i: number): string {
    this.current = this.files[i].path;
    this.created.push(makeDirectories(dirname(this.files[i].path)));
    removeStaleTemporaries(this.files[i].path);
    return this.temporaries[i];
  }

  /** Marks temporary `i` as existing (its file was created). */
  opened(i: number): void {
    this.started.add(i);
  }

  /** Creates temporary `i` (exactly `mode`, whatever the umask) and returns its descriptor. */
  open(i: number): number {
    const fd = openSync(this.temporary(i), "w", this.mode);
    this.opened(i);
    try {
      if (this.mode !== undefined) fchmodSync(fd, this.mode);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return fd;
  }

  commit(): void {
    faultPoint("before-rename");
    this.files.forEach((file, i) => {
      this.current = file.path;
      renameSync(this.temporaries[i], file.path);
      this.renamed.push(file.path);
    });
    inProgress.delete(this);
  }

  /** Undoes the write; returns the error to throw for `error`. */
  fail(error: unknown): UserError {
    this.rollback();
    inProgress.delete(this);
    return error instanceof UserError ? error : new UserError("MOT202", [this.current, writeFailure(error, this.current)]);
  }

  rollback(): void {
    for (const i of this.started) removeQuietly(this.temporaries[i]);
    for (const path of this.renamed) removeQuietly(path);
    for (const directories of this.created.reverse()) directories.forEach(removeEmptyDirectory);
    this.started.clear();
    this.renamed.length = 0;
    this.created.length = 0;
  }
}

/** `weights.bin` → `weights.bin.4242.tmp`: the pid says whose it is, for removeStaleTemporaries. */
function temporaryName(path: string, pid: number): string {
  return `${path}.${pid}.tmp`;
}

/**
 * Removes `PATH.PID.tmp` files beside `path` whose process no longer runs:
 * what a write killed before its rename (SIGKILL, a crash) left behind.
 * A temporary of a live process — another motc writing there now — is kept.
 */
export function removeStaleTemporaries(path: string): void {
  const name = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return; // no directory yet: nothing is stale
  }
  for (const entry of entries) {
    if (!entry.startsWith(`${name}.`) || !entry.endsWith(".tmp")) continue;
    const pid = Number(entry.slice(name.length + 1, -".tmp".length));
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processRunning(pid)) {
      removeQuietly(join(dirname(path), entry));
    }
  }
}

/** Whether a process `pid` exists (signal 0 checks without sending; EPERM: it exists, as another user's). */
export function processRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Why a write failed, in words; a path component that is a file where a directory must be is named. */
export function writeFailure(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "EEXIST" || code === "ENOTDIR") {
    for (let dir = dirname(path); dirname(dir) !== dir; dir = dirname(dir)) {
      try {
        if (!statSync(dir).isDirectory()) return `${dir} is a file, not a directory`;
      } catch {
        // does not exist: look further up
      }
    }
  }
  return describeFsError(error);
}

/** Creates `dir` and its missing parents; returns those it created, innermost first. */
function makeDirectories(dir: string): string[] {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return [];
  const made = [dir];
  for (let d = dir; resolve(d) !== resolve(first) && dirname(d) !== d; ) {
    d = dirname(d);
    made.push(d);
  }
  return made;
}

function removeEmptyDirectory(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (something else was written there) or already gone
  }
}

/**
 * Writes a directory of files (paths relative to `dir`) as one: all of them into
 * DIR.tmp-PID/, which is then renamed to DIR; a DIR already there is moved aside
 * first and removed after. A reader sees the old directory or the whole new one,
 * and a failure leaves the old one in place.
 */
export function writeDirectoryAtomic(dir: string, files: readonly FileChunks[]): void {
  const temporary = `${dir}.tmp-${process.pid}`;
  const aside = `${dir}.old-${process.pid}`;
  let movedAside = false;
  try {
    rmSync(temporary, { recursive: true, force: true });
    for (const file of files) {
      const path = join(temporary, file.path);
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(path, "w");
      try {
        for (const chunk of file.chunks) {
          for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done, chunk.byteLength - done);
        }
      } finally {
        closeSync(fd);
      }
    }
    if (existsSync(dir)) {
      renameSync(dir, aside);
      movedAside = true;
    }
    renameSync(temporary, dir);
  } catch (error) {
    removeQuietly(temporary, true);
    if (movedAside) renameSync(aside, dir);
    throw new UserError("MOT202", [dir, describeFsError(error)]);
  }
  if (movedAside) removeQuietly(aside, true);
}

/** Cleanup after a failed write: `force` ignores a missing file but not, e.g., ENOTDIR. */
function removeQuietly(path: string, recursive = false): void {
  try {
    rmSync(path, { force: true, recursive });
  } catch {
    // nothing was written there
  }
}
