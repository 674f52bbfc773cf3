// The checker's entry point: source text → checked models, with diagnostics.
// Parsing is syntax/parse.ts; everything after it (names, defaults, types,
// extends/replace/repeat, sizes, recipes) is elaborate.ts and its helpers.
import type { ModelIR } from "../ir/model.js";
import type { SpecFile } from "../syntax/ast.js";
import { diagnostic, hasErrors, type Diagnostic } from "../syntax/diagnostics.js";
import { LineIndex } from "../syntax/lines.js";
import { parseSpec } from "../syntax/parse.js";
import type { SourceFile, Span } from "../syntax/span.js";
import { Elaborator } from "./elaborate.js";
import { Reporter } from "./report.js";

export interface CheckResult {
  /** The syntax tree (possibly partial when there were syntax errors). */
  spec: SpecFile;
  /** Every model that checked without errors, in declaration order. */
  models: ModelIR[];
  /** Syntax and check diagnostics, errors and warnings. */
  diagnostics: Diagnostic[];
}

/** The versions of LANGUAGE.md this checker implements. */
export const KNOWN_VERSIONS: readonly number[] = [1];

export function checkSpec(source: SourceFile): CheckResult {
  let parsed: ReturnType<typeof parseSpec>;
  try {
    parsed = parseSpec(source);
  } catch (error) {
    // Thousands of nested parentheses exhaust the parser's stack: a diagnostic, not a crash.
    if (!isStackOverflow(error)) throw error;
    const spec: SpecFile = { path: source.path, decls: [], comments: [] };
    return { spec, models: [], diagnostics: [diagnostic("MOT044", [], deepestPoint(source))] };
  }
  const { spec, diagnostics: syntax } = parsed;
  const { models, diagnostics } = checkTree(spec);
  // With a syntax error the tree lacks what could not be read, so no model in it can be trusted.
  const trusted = hasErrors(syntax) ? [] : models;
  const all = [...syntax, ...diagnostics].sort((a, b) => (a.span?.offset ?? 0) - (b.span?.offset ?? 0));
  return { spec, models: trusted, diagnostics: all };
}

/** Checks a syntax tree: the models that are clean, and the check diagnostics. */
export function checkTree(spec: SpecFile): { models: ModelIR[]; diagnostics: Diagnostic[] } {
  const reporter = new Reporter();
  let models: ModelIR[] = [];
  // An unknown version may mean anything: report it, check by version 1's rules, trust no model.
  const versionKnown = !spec.version || KNOWN_VERSIONS.includes(spec.version.value);
  if (!versionKnown) reporter.report("MOT004", [spec.version!.image], spec.version!.span);
  try {
    models = new Elaborator(spec, reporter).run();
  } catch (error) {
    // Expressions nested thousands deep exhaust the stack: a diagnostic, not a crash.
    if (!isStackOverflow(error)) throw error;
    reporter.report("MOT044", [], spec.decls[0]?.span);
    models = [];
  }
  return { models: versionKnown ? models : [], diagnostics: reporter.diagnostics };
}

/** Where brackets nest deepest (the first such place): what MOT044 points at. */
function deepestPoint(source: SourceFile): Span {
  const text = source.text;
  let depth = 0;
  let deepest = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "(" || char === "{") {
      depth++;
      if (depth > deepest) [deepest, at] = [depth, i];
    } else if (char === ")" || char === "}") {
      depth = Math.max(0, depth - 1);
    }
  }
  return { file: source.path, ...new LineIndex(text).position(at), offset: at, length: 1 };
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}
