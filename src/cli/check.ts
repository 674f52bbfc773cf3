// motc check FILE... — diagnostics, or silence; exit 0 when every file is clean.
// Every file is checked: one that cannot be read is reported on its own line
// and the rest are still checked.
import type { Command } from "commander";
import { checkSpec } from "../check/index.js";
import { hasErrors } from "../syntax/diagnostics.js";
import { forEachFile, printDiagnostics, readSpecText } from "./spec.js";

export function register(program: Command): void {
  program
    .command("check")
    .description("parse and check specs; print diagnostics (exit 1 on errors)")
    .argument("<files...>", ".mot files")
    .action((files: string[]) => {
      const failed = forEachFile(files, (path) => {
        const text = readSpecText(path);
        const result = checkSpec({ path, text });
        printDiagnostics(result, text);
        return !hasErrors(result.diagnostics);
      });
      if (failed) process.exitCode = 1;
    });
}
