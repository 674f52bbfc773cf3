// Collects the checker's diagnostics. An extending model re-evaluates what it
// inherits, so one mistake in a parent can be found once per child: the
// reporter keeps each diagnostic once, but counts every attempt, so that the
// checker can tell whether a given model is clean (`errorsSoFar` before/after).
import { diagnostic, type Diagnostic } from "../syntax/diagnostics.js";
import type { MessageCode } from "../syntax/messages.js";
import type { Span } from "../syntax/span.js";

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private errors = 0;

  report(code: MessageCode, args: (string | number)[], span?: Span, hint?: string): void {
    const d = diagnostic(code, args, span, hint);
    if (d.severity === "error") this.errors++;
    const key = `${code}@${span?.offset ?? -1}+${span?.length ?? 0}:${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  }

  /** Errors reported so far, repeats included. */
  get errorsSoFar(): number {
    return this.errors;
  }
}
