// motc fmt FILE... [--write | --check] — print, rewrite or check the canonical
// form (src/syntax/format.ts). A file with syntax errors is never rewritten:
// its diagnostics are printed and the exit code is 1. Every file is taken,
// even after one fails.
//
// --write changes nothing but the formatting: bytes that are not UTF-8 (in a
// comment) are written back as they were, a symbolic link is followed (its
// target is rewritten, the link stays), and the file keeps its permissions.
import { realpathSync, statSync } from "node:fs";
import type { Command } from "commander";
import { UserError, describeFsError } from "../base/errors.js";
import { writeFileAtomic } from "../base/files.js";
import { encodeLossless } from "../base/text.js";
import { forEachFile, printDiagnostics, readSpecText } from "./spec.js";

interface FmtOptions {
  write?: boolean;
  check?: boolean;
}

export function register(program: Command): void {
  program
    .command("fmt")
    .description("print specs in canonical form (--write rewrites them, --check lists those that differ)")
    .argument("<files...>", ".mot files")
    .option("-w, --write", "rewrite files in place (only those that change)")
    .option("-c, --check", "print the files that are not in canonical form; exit 1 if any")
    .action(async (files: string[], options: FmtOptions) => {
      if (options.write && options.check) throw new UserError("MOT222", ["--write", "--check"]);
      const { formatSpec } = await import("../syntax/format.js");
      const { hasErrors } = await import("../syntax/diagnostics.js");
      const failed = forEachFile(files, (path) => {
        const text = readSpecText(path);
        const result = formatSpec({ path, text });
        printDiagnostics(result, text);
        if (hasErrors(result.diagnostics)) return false;
        if (options.check) {
          if (result.text === text) return true;
          process.stderr.write(`${path}\n`);
          return false;
        }
        if (options.write) {
          if (result.text !== text) rewriteInPlace(path, result.text);
        } else {
          process.stdout.write(encodeLossless(result.text));
        }
        return true;
      });
      if (failed) process.exitCode = 1;
    });
}

/** Replaces the file `path` resolves to (through any symbolic links) with `text`, keeping its mode. */
function rewriteInPlace(path: string, text: string): void {
  let target: string;
  let mode: number;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
  writeFileAtomic(target, encodeLossless(text), { mode });
}
