// Reading inputs and writing outputs so that nothing is ever half-written: every
// output goes to a temporary file in the same directory and is renamed into place.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError, describeFsError } from "./errors.js";

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
}

/**
 * Writes `data` to `path` through a temporary file in the same directory and a
 * rename, so a reader never sees a half-written file and a failure leaves none.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFilesAtomic([{ path, chunks: [typeof data === "string" ? new TextEncoder().encode(data) : data] }]);
}

/** One file for writeFilesAtomic: its path and its bytes, as chunks written one after another. */
export interface FileChunks {
  path: string;
  chunks: readonly Uint8Array[];
}

/**
 * Writes several files, each given as chunks written one after another (large
 * buffers are not joined first), all-or-nothing: every file goes to a temporary
 * name, then they are renamed in order — list the file that makes the set
 * usable (e.g. a model beside its external data) last. A failure removes them
 * all, and the directories this call created for them.
 */
export function writeFilesAtomic(files: readonly FileChunks[]): void {
  const temporaries = files.map((f) => `${f.path}.${process.pid}.tmp`);
  const renamed: string[] = [];
  const created: string[][] = [];
  let current = files[0]?.path ?? "";
  try {
    files.forEach((file, i) => {
      current = file.path;
      created.push(makeDirectories(dirname(file.path)));
      const fd = openSync(temporaries[i], "w");
      try {
        for (const chunk of file.chunks) {
          for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done, chunk.byteLength - done);
        }
      } finally {
        closeSync(fd);
      }
    });
    files.forEach((file, i) => {
      current = file.path;
      renameSync(temporaries[i], file.path);
      renamed.push(file.path);
    });
  } catch (error) {
    for (const path of [...temporaries, ...renamed]) removeQuietly(path);
    for (const directories of created.reverse()) directories.forEach(removeEmptyDirectory);
    throw new UserError("MOT202", [current, describeFsError(error)]);
  }
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
