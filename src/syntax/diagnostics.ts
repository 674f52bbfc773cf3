// One diagnostic shape and one formatter for every phase (after esbuild's
// logger): file:line:col, a stable code, the message, the source line, a caret
// under the span, and a hint.
import { formatMessage, messageLine, printable, severityOf, type DiagnosticCode, type MessageArgument, type Severity } from "../base/messages.js";
import { LineIndex } from "./lines.js";
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
 * `source` is the file's text, or its LineIndex when many diagnostics of one
 * file are printed (the index is then built once).
 */
export function formatDiagnostic(d: Diagnostic, source?: SourceFile | LineIndex, color = false): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}: ` : "";
  const lines = [messageLine(where, d.severity, d.code, d.message, color)];
  if (d.span && source) {
    const index = source instanceof LineIndex ? source : new LineIndex(source.text);
    const echo = echoLine(index.line(d.span.line));
    const gutter = String(d.span.line).length;
    const first = echo.column(d.span.col);
    const last = echo.column(Math.min(d.span.col + d.span.length, echo.length + 1));
    lines.push(` ${d.span.line} | ${echo.text}`);
    lines.push(` ${" ".repeat(gutter)} | ${" ".repeat(first)}${paint("1;32", "^".repeat(Math.max(1, last - first)))}`);
  }
  if (d.hint) lines.push(`  hint: ${printable(d.hint)}`);
  return lines.join("\n");
}

/**
 * A source line as it is echoed under a diagnostic: a tab becomes one space
 * and every other character a terminal would act on is shown, not sent
 * (printable()), so a spec cannot colour, retitle or clear a CI log. `column`
 * maps a 1-based source column to the 0-based place of its caret.
 */
function echoLine(line: string): { text: string; length: number; column: (col: number) => number } {
  const starts: number[] = [];
  let text = "";
  for (let i = 0; i < line.length; i++) {
    starts.push(text.length);
    const code = line.charCodeAt(i);
    // A surrogate pair is one character on screen: both halves map to its column.
    if (code >= 0xd800 && code < 0xdc00 && i + 1 < line.length) {
      starts.push(text.length);
      text += line.slice(i, i + 2);
      i++;
      continue;
    }
    text += line[i] === "\t" ? " " : printable(line[i]);
  }
  starts.push(text.length);
  const width = (upTo: number) => [...text.slice(0, upTo)].length;
  return { text, length: line.length, column: (col) => width(starts[Math.max(0, Math.min(col - 1, line.length))]) };
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
