// What an expression evaluates to, before a key or argument gives it a type.
// Numbers are JavaScript doubles; an integer is a double with no fraction that
// no inexact `/` went into (LANGUAGE.md: `/` must divide exactly where an
// integer is required).
import { sublayerWords } from "../ir/layers/index.js";
import type { Span } from "../syntax/span.js";

/** A `/` that did not come out whole, remembered for the error at its use. */
export interface Division {
  left: number;
  right: number;
  span: Span;
}

export type Value =
  | { kind: "number"; value: number; inexact?: Division }
  | { kind: "bool"; value: boolean }
  | { kind: "string"; value: string }
  /** An enumerated word: `layernorm`, `relu`, `learnable`, … */
  | { kind: "word"; word: string }
  /**
   * A bare name that is neither in scope nor a known word. The consumer reports
   * it, because only the consumer knows which words would have been valid.
   */
  | { kind: "unknown"; name: string; span: Span }
  /** `learnable(init = 0.5)`, `cosine(final = 10%)`, `adamw(...)`: checked, defaults filled. */
  | { kind: "call"; callee: string; fields: Record<string, number> }
  /** Something already reported; consumers stay silent so one mistake gives one error. */
  | { kind: "error" };

export const ERROR: Value = { kind: "error" };

/** The enumerated words of LANGUAGE.md (and the callables, which may go without parentheses). */
export const WORDS: ReadonlySet<string> = new Set([
  "layernorm", "rmsnorm", "learned", "sinusoidal", "none", "constant", "cosine", "linear", "adamw", "anneal", "normal", "fan_in",
  // The sublayer kinds' own words (`relu`, `silu`, `expert_choice`, `learnable`, …), from their argument schemas.
  ...sublayerWords(),
]);

/** How a value reads in a message: `2.5`, `true`, `relu`, `cosine(final = 0.1)`. */
export function describe(value: Value): string {
  switch (value.kind) {
    case "number":
      return String(value.value);
    case "bool":
      return String(value.value);
    case "string":
      return JSON.stringify(value.value);
    case "word":
      return value.word;
    case "unknown":
      return value.name;
    case "call":
      return `${value.callee}(${Object.entries(value.fields).map(([k, v]) => `${k} = ${v}`).join(", ")})`;
    case "error":
      return "an invalid value";
  }
}
