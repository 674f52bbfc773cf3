// motc check FILE... — diagnostics, or silence; exit 0 when every file is clean.
import type { Command } from "commander";
import { checkSpec } from "../check/index.js";
import { hasErrors } from "../syntax/diagnostics.js";
import { readText } from "../base/files.js";
import { printDiagnostics } from "./spec.js";

export function register(program: Command): void {
  program
    .command("check")
    .description("parse and check specs; print diagnostics (exit 1 on errors)")
    .argument("<files...>", ".mot files")
    .action((files: string[]) => {
      let failed = false;
      for (const path of files) {
        const text = readText(path);
        const result = checkSpec({ path, text });
        printDiagnostics(result, text);
        failed ||= hasErrors(result.diagnostics);
      }
      if (failed) process.exitCode = 1;
    });
}
