// One diagnostic shape and one formatter for every phase (after esbuild's
// logger): file:line:col, a stable code, the message, the source line, a caret
// under the span, and a hint.
import { formatMessage, messageLine, severityOf, type DiagnosticCode, type MessageArgument, type Severity } from "../base/messages.js";
import type { SourceFile, Span } from "./span.js";

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  span?: Span;
  /** e.g. "did you mean 'group'?" */
  hint?: string;
}

export function diagnostic(
  code: DiagnosticCode,
  args: readonly MessageArgument[],
  span?: Span,
  hint?: string,
): Diagnostic {
  return { code, severity: severityOf(code), message: formatMessage(code, args), span, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Source order, so that a user reads the errors top to bottom. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.span?.file ?? "").localeCompare(b.span?.file ?? "") ||
      (a.span?.offset ?? 0) - (b.span?.offset ?? 0),
  );
}

/**
 * Renders:
 *   specs/a.mot:12:7: error MOT012: unknown argument 'grop' to mot
 *      12 |     mot(grop = 32)
 *         |         ^^^^
 *     hint: did you mean 'group'?
 */
export function formatDiagnostic(d: Diagnostic, source?: SourceFile, color = false): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
  const lines = [messageLine(where, d.severity, d.code, d.message, color)];
  if (d.span && source) {
    const text = lineAt(source.text, d.span.line);
    const gutter = String(d.span.line).length;
    const caretLength = Math.max(1, Math.min(d.span.length, text.length - d.span.col + 1));
    lines.push(` ${d.span.line} | ${text}`);
    lines.push(` ${" ".repeat(gutter)} | ${" ".repeat(d.span.col - 1)}${paint("1;32", "^".repeat(caretLength))}`);
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}

function lineAt(text: string, line: number): string {
  let start = 0;
  for (let i = 1; i < line; i++) {
    const next = text.indexOf("\n", start);
    if (next < 0) return "";
    start = next + 1;
  }
  const end = text.indexOf("\n", start);
  return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, "").replace(/\t/g, " ");
}

/** "did you mean 'x'?" for the closest candidate within a small edit distance. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= limit ? `did you mean '${best}'?` : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
