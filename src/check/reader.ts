// Reads typed keys and arguments out of evaluated values, reporting each
// mistake at the value that made it (or at the owner, for a missing one).
// Every getter returns undefined after an error and sets `failed`, so the
// caller can skip checks that depend on a bad value without a second error.
import { suggest } from "../syntax/diagnostics.js";
import type { Span } from "../syntax/span.js";
import type { Reporter } from "./report.js";
import { describe, type Value } from "./values.js";

export interface Field {
  value: Value;
  /** The value as written (or the owner, for a default). */
  span: Span;
}

export interface ReaderContext {
  reporter: Reporter;
  /** For an unknown name: MOT013 with a "did you mean" among the names in scope. */
  reportUnknown(name: string, span: Span): void;
}

export interface Range {
  /** Must be > 0 (MOT025). */
  positive?: boolean;
  /** Must be ≥ 0 (MOT043). */
  nonNegative?: boolean;
  /** Must lie in [min, max] or [min, max) (MOT041). */
  between?: { min: number; max: number; maxExclusive?: boolean };
  /** A temperature τ: at least MIN_TEMPERATURE (MOT049). */
  temperature?: boolean;
}

/**
 * The smallest temperature τ a spec may give (a fixed `temp`, `learnable(init)`,
 * `anneal(final)`). float32's smallest normal is ~1.2e-38, but the binding limit
 * is the arithmetic around τ: logits / τ must stay finite, and training squares
 * gradients that scale with 1 / τ (AdamW's second moment, finite below ~3.4e38).
 * At 1e-6, 1 / τ² = 1e12 leaves that headroom many times over, and the mixing is
 * already a hard argmax for any logit gap above 1e-4 (weight e^-100), so a smaller
 * τ changes nothing but the risk of NaN; `--no-mix=hard` compiles the τ → 0 limit.
 */
export const MIN_TEMPERATURE = 1e-6;

export class Reader {
  failed = false;

  constructor(
    /** What owns the keys, for messages: `mot`, `model 'tiny'`, `train 'tiny'`. */
    readonly owner: string,
    private readonly fields: (name: string) => Field | undefined,
    /** Where a missing required key points, and with which code. */
    private readonly missing: { code: "MOT022" | "MOT023"; span: Span },
    private readonly context: ReaderContext,
  ) {}

  /** The raw field (for values with their own rules: `temp`, `schedule`, `optimizer`). */
  field(name: string): Field | undefined {
    return this.fields(name);
  }

  has(name: string): boolean {
    return this.fields(name) !== undefined;
  }

  spanOf(name: string): Span {
    return this.fields(name)?.span ?? this.missing.span;
  }

  int(name: string, fallback?: number, range: Range = {}): number | undefined {
    const field = this.fields(name);
    if (!field) return this.absent(name, fallback);
    const value = this.numberValue(name, field, "an integer");
    if (value === undefined) return undefined;
    const number = field.value as Extract<Value, { kind: "number" }>;
    if (number.inexact) {
      const { left, right, span } = number.inexact;
      return this.fail("MOT036", [left, right, name], span, `${left} / ${right} = ${left / right}`);
    }
    if (!Number.isInteger(value)) return this.fail("MOT024", [name, "an integer", value], field.span);
    if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      return this.fail("MOT038", [name, value, Number.MAX_SAFE_INTEGER], field.span);
    }
    return this.inRange(name, value, field.span, range);
  }

  number(name: string, fallback?: number, range: Range = {}): number | undefined {
    const field = this.fields(name);
    if (!field) return this.absent(name, fallback);
    const value = this.numberValue(name, field, "a number");
    return value === undefined ? undefined : this.inRange(name, value, field.span, range);
  }

  bool(name: string, fallback?: boolean): boolean | undefined {
    const field = this.fields(name);
    if (!field) return this.absent(name, fallback);
    const value = field.value;
    if (value.kind === "bool") return value.value;
    return this.wrongType(name, field, "true or false");
  }

  /** One of a few enumerated words. */
  choice<T extends string>(name: string, options: readonly T[], fallback?: T): T | undefined {
    const field = this.fields(name);
    if (!field) return this.absent(name, fallback);
    const value = field.value;
    if (value.kind === "word" && (options as readonly string[]).includes(value.word)) return value.word as T;
    return this.notOneOf(name, field, options);
  }

  /** MOT014 ("not a valid value … expected a, b or c") with a suggestion among the options. */
  notOneOf(name: string, field: Field, options: readonly string[], expected = listWords(options)): undefined {
    const value = field.value;
    if (value.kind === "error") return this.silentFail();
    const written = value.kind === "unknown" ? value.name : describe(value);
    const hint = value.kind === "unknown" || value.kind === "word" ? suggest(written, options) : undefined;
    return this.fail("MOT014", [written, name, expected], value.kind === "unknown" ? value.span : field.span, hint);
  }

  /** MOT024 ("must be …, got …"), or MOT013 for a name that is not in scope. */
  wrongType(name: string, field: Field, expected: string): undefined {
    const value = field.value;
    if (value.kind === "error") return this.silentFail();
    if (value.kind === "unknown") {
      this.context.reportUnknown(value.name, value.span);
      return this.silentFail();
    }
    return this.fail("MOT024", [name, expected, describe(value)], field.span);
  }

  fail(code: Parameters<Reporter["report"]>[0], args: (string | number)[], span: Span, hint?: string): undefined {
    this.context.reporter.report(code, args, span, hint);
    return this.silentFail();
  }

  private silentFail(): undefined {
    this.failed = true;
    return undefined;
  }

  private absent<T>(name: string, fallback: T | undefined): T | undefined {
    if (fallback !== undefined) return fallback;
    return this.fail(this.missing.code, [name, this.owner], this.missing.span);
  }

  private numberValue(name: string, field: Field, expected: string): number | undefined {
    return field.value.kind === "number" ? field.value.value : this.wrongType(name, field, expected);
  }

  private inRange(name: string, value: number, span: Span, range: Range): number | undefined {
    if (range.positive && !(value > 0)) return this.fail("MOT025", [name, value], span);
    if (range.nonNegative && !(value >= 0)) return this.fail("MOT043", [name, value], span);
    if (range.temperature && !(value >= MIN_TEMPERATURE)) {
      return this.fail("MOT049", [name, MIN_TEMPERATURE.toExponential(), value], span, "a smaller τ overflows float32 in logits / τ and in training; compile with --no-mix=hard for the τ → 0 limit");
    }
    const between = range.between;
    if (between && !(value >= between.min && (between.maxExclusive ? value < between.max : value <= between.max))) {
      const max = between.maxExclusive ? `${between.max} (exclusive)` : String(between.max);
      return this.fail("MOT041", [name, between.min, max, value], span);
    }
    return value;
  }
}

/** `a`, `a or b`, `a, b or c` */
export function listWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}
