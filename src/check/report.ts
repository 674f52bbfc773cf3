// Collects the checker's diagnostics. An extending model re-evaluates what it
// inherits, so one mistake in a parent can be found once per child: the
// reporter keeps each diagnostic once, but counts every attempt, so that the
// checker can tell whether a given model is clean (`errorsSoFar` before/after).
import { diagnostic, type Diagnostic } from "../syntax/diagnostics.js";
import type { DiagnosticCode, MessageArgument } from "../base/messages.js";
import type { Span } from "../syntax/span.js";

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  /** Each diagnostic's place in `diagnostics`, and whether it was found through a child. */
  private readonly seen = new Map<string, { index: number; inherited: boolean }>();
  private errors = 0;
  /** The model being checked and its own declarations: a mistake found in a line it inherits says so. */
  private model?: { name: string; own: Span[] };

  checking(model?: { name: string; own: Span[] }): void {
    this.model = model;
  }

  report(code: DiagnosticCode, args: readonly MessageArgument[], span?: Span, hint?: string): void {
    const model = this.model;
    const inherited = !!model && !!span && !model.own.some((own) => span.offset >= own.offset && span.offset < own.offset + own.length);
    if (inherited) {
      const note = `found while checking model '${model!.name}', which inherits this line`;
      hint = hint ? `${hint}; ${note}` : note;
    }
    const d = diagnostic(code, args, span, hint);
    if (d.severity === "error") this.errors++;
    const key = `${code}@${span?.offset ?? -1}+${span?.length ?? 0}:${d.message}`;
    const earlier = this.seen.get(key);
    if (!earlier) {
      this.seen.set(key, { index: this.diagnostics.length, inherited });
      this.diagnostics.push(d);
    } else if (earlier.inherited && !inherited) {
      // The line's own model has the mistake too: say it plainly.
      this.diagnostics[earlier.index] = d;
      earlier.inherited = false;
    }
  }

  /** Errors reported so far, repeats included. */
  get errorsSoFar(): number {
    return this.errors;
  }
}
