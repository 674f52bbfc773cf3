// Reading inputs and writing outputs so that nothing is ever half-written: every
// output goes to a temporary file in the same directory and is renamed into place.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
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
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw new UserError("MOT202", [path, describeFsError(error)]);
  }
}

/**
 * Writes several files, each given as chunks written one after another (large
 * buffers are not joined first), all-or-nothing: every file goes to a temporary
 * name, then they are renamed in order — list the file that makes the set
 * usable (e.g. a model beside its external data) last. A failure removes them all.
 */
export function writeFilesAtomic(files: readonly { path: string; chunks: readonly Uint8Array[] }[]): void {
  const temporaries = files.map((f) => `${f.path}.${process.pid}.tmp`);
  const renamed: string[] = [];
  let current = files[0]?.path;
  try {
    files.forEach((file, i) => {
      current = file.path;
      mkdirSync(dirname(file.path), { recursive: true });
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
    throw new UserError("MOT202", [current ?? "", describeFsError(error)]);
  }
}

/** Cleanup after a failed write: `force` ignores a missing file but not, e.g., ENOTDIR. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing was written there
  }
}
