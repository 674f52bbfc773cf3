// motc fmt FILE... [--write | --check] — print, rewrite or check the canonical
// form (src/syntax/format.ts). A file with syntax errors is never rewritten:
// its diagnostics are printed and the exit code is 1.
import type { Command } from "commander";
import { UserError } from "../base/errors.js";
import { readText, writeFileAtomic } from "../base/files.js";
import { printDiagnostics } from "./spec.js";

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
      let failed = false;
      for (const path of files) {
        const text = readText(path);
        const result = formatSpec({ path, text });
        printDiagnostics(result, text);
        if (hasErrors(result.diagnostics)) {
          failed = true;
          continue;
        }
        if (options.check) {
          if (result.text !== text) {
            process.stderr.write(`${path}\n`);
            failed = true;
          }
        } else if (options.write) {
          if (result.text !== text) writeFileAtomic(path, result.text);
        } else {
          process.stdout.write(result.text);
        }
      }
      if (failed) process.exitCode = 1;
    });
}
