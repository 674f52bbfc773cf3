// Loading a spec for a command: read, parse, check, print diagnostics, pick a model.
import { checkSpec, type CheckResult } from "../check/index.js";
import { formatDiagnostic, hasErrors, sortDiagnostics } from "../syntax/diagnostics.js";
import { LineIndex } from "../syntax/lines.js";
import type { ModelIR } from "../ir/model.js";
import { UserError, formatUserError } from "../base/errors.js";
import { counted } from "../base/messages.js";
import { readBoundedText } from "../base/files.js";
import { MAX_SPEC_BYTES } from "../check/limits.js";
import { useColor } from "./io.js";

/** Parses and checks `path`, printing every diagnostic to stderr. Throws on errors. */
export function loadSpec(path: string): CheckResult {
  const source = { path, text: readSpecText(path) };
  const result = checkSpec(source);
  printDiagnostics(result, source.text);
  if (hasErrors(result.diagnostics)) throw specErrors(path, result);
  return result;
}

/**
 * The text of the spec at `path`: a regular file of at most MAX_SPEC_BYTES
 * (1 MiB), anything else refused before it is read (MOT204, MOT205). Bytes
 * that are not UTF-8 are kept (src/base/text.ts), for `fmt --write`.
 */
export function readSpecText(path: string): string {
  return readBoundedText(path, MAX_SPEC_BYTES, "a spec");
}

/**
 * Runs `each` on every path, even after one fails: a failure that is the
 * user's (a missing file, one too large) is printed on its own line and the
 * next file is taken. True when any file failed (`each` returned false or threw).
 */
export function forEachFile(paths: readonly string[], each: (path: string) => boolean): boolean {
  let failed = false;
  for (const path of paths) {
    try {
      if (!each(path)) failed = true;
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      process.stderr.write(formatUserError(error, useColor()) + "\n");
      failed = true;
    }
  }
  return failed;
}

/** MOT099, the line after a spec's diagnostics: how many of them are errors. */
export function specErrors(path: string, result: Pick<CheckResult, "diagnostics">): UserError {
  return new UserError("MOT099", [path, counted(result.diagnostics.filter((d) => d.severity === "error").length, "error")]);
}

export function printDiagnostics(result: Pick<CheckResult, "diagnostics">, text: string): void {
  if (result.diagnostics.length === 0) return;
  const color = useColor();
  const lines = new LineIndex(text);
  const rendered = sortDiagnostics(result.diagnostics).map((d) => formatDiagnostic(d, lines, color) + "\n");
  process.stderr.write(rendered.join(""));
}

/** The model named `name`, or the file's first model when no name is given. */
export function selectModel(result: CheckResult, path: string, name?: string): ModelIR {
  if (result.models.length === 0) throw new UserError("MOT230", [path]);
  if (name === undefined) return result.models[0];
  const model = result.models.find((m) => m.name === name);
  if (!model) {
    throw new UserError("MOT231", [path, name, result.models.map((m) => `'${m.name}'`).join(", ")]);
  }
  return model;
}

export function loadModel(path: string, name?: string): ModelIR {
  return selectModel(loadSpec(path), path, name);
}
