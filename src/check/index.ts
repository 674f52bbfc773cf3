// The checker's entry point: source text → checked models, with diagnostics.
import type { ModelIR } from "../ir/model.js";
import type { SpecFile } from "../syntax/ast.js";
import type { Diagnostic } from "../syntax/diagnostics.js";
import type { SourceFile } from "../syntax/span.js";

export interface CheckResult {
  /** The syntax tree (possibly partial when there were syntax errors). */
  spec: SpecFile;
  /** Every model that checked without errors, in declaration order. */
  models: ModelIR[];
  /** Syntax and check diagnostics, errors and warnings. */
  diagnostics: Diagnostic[];
}

export function checkSpec(source: SourceFile): CheckResult {
  throw new Error(`not implemented yet: ${source.path}`);
}
