// Loading a spec for a command: read, parse, check, print diagnostics, pick a model.
import { checkSpec, type CheckResult } from "../check/index.js";
import { formatDiagnostic, hasErrors, sortDiagnostics } from "../syntax/diagnostics.js";
import { LineIndex } from "../syntax/lines.js";
import type { ModelIR } from "../ir/model.js";
import { UserError } from "../base/errors.js";
import { counted } from "../base/messages.js";
import { readText } from "../base/files.js";
import { useColor } from "./io.js";

/** Parses and checks `path`, printing every diagnostic to stderr. Throws on errors. */
export function loadSpec(path: string): CheckResult {
  const source = { path, text: readText(path) };
  const result = checkSpec(source);
  printDiagnostics(result, source.text);
  if (hasErrors(result.diagnostics)) throw specErrors(path, result);
  return result;
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
