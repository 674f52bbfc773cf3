// Names in scope: a model's keys and `let` constants (inherited through
// `extends`, overridable there), or a recipe's keys and constants on top of its
// model's. Values are computed on demand and remembered, so a name may be used
// before the line that sets it; a name met again while it is being computed is
// a cycle. Bindings are late: a parent's `d_ff = 4 * d_model` in a child that
// sets `d_model` sees the child's value.
import type { Expr, Let } from "../syntax/ast.js";
import { suggest } from "../syntax/diagnostics.js";
import type { Span } from "../syntax/span.js";
import { evaluate, type EvalContext } from "./eval.js";
import type { Field } from "./reader.js";
import type { Reporter } from "./report.js";
import { ERROR, WORDS, type Value } from "./values.js";

export interface Binding {
  name: string;
  /** The name as written where it is set (a key or a `let`). */
  nameSpan: Span;
  expr: Expr;
  /** Set for `let` constants: unused ones are reported as warnings. */
  let?: Let;
  /** A key the model or recipe knows (its value is judged by the key's reader). */
  known: boolean;
}

/** A key's default: computed from other names when the spec does not set it. */
export type Default = (scope: Scope) => Value;

export class Scope implements EvalContext {
  private readonly values = new Map<string, Value>();
  /** Names being computed right now, in order: a repeat is a cycle. */
  private readonly active: string[] = [];
  private readonly activeSet = new Set<string>();

  constructor(
    readonly bindings: ReadonlyMap<string, Binding>,
    /** Keys not set: a default, or `undefined` for a required key (its use is silent; the key's absence is reported once). */
    readonly defaults: ReadonlyMap<string, Default | undefined>,
    /** Where a defaulted key points when its default is wrong. */
    readonly defaultSpan: Span,
    readonly reporter: Reporter,
    readonly usedLets: Set<Let>,
    readonly outer?: Scope,
  ) {}

  /** A name used in an expression: its value, or undefined when it is not in scope. */
  lookup(name: string): Value | undefined {
    const binding = this.bindings.get(name);
    if (binding) {
      if (binding.let) this.usedLets.add(binding.let);
      return this.value(name);
    }
    if (this.defaults.has(name)) return this.value(name);
    return this.outer?.lookup(name);
  }

  /** The value of a name bound here (set or defaulted). */
  value(name: string): Value {
    const known = this.values.get(name);
    if (known) return known;
    if (this.activeSet.has(name)) return this.cycle(name);
    const binding = this.bindings.get(name);
    const compute = binding ? undefined : this.defaults.get(name);
    if (!binding && !compute) return ERROR;
    this.active.push(name);
    this.activeSet.add(name);
    let value = binding ? evaluate(binding.expr, this) : compute!(this);
    this.active.pop();
    this.activeSet.delete(name);
    if (this.values.has(name)) return this.values.get(name)!; // part of a cycle: already an error
    if (value.kind === "unknown" && binding && !binding.known) {
      // A constant's value is judged here, where it is defined, not at each use.
      this.reportUnknown(value.name, value.span);
      value = ERROR;
    }
    this.values.set(name, value);
    return value;
  }

  /** A key as a reader sees it: its value and where to point; undefined when neither set nor defaulted. */
  field(name: string): Field | undefined {
    const binding = this.bindings.get(name);
    if (binding) return { value: this.value(name), span: binding.expr.span };
    if (this.defaults.get(name)) return { value: this.value(name), span: this.defaultSpan };
    return undefined;
  }

  /** Every name an expression here could use, for "did you mean" hints. */
  names(): string[] {
    const own = [...this.bindings.keys(), ...this.defaults.keys()];
    return this.outer ? [...own, ...this.outer.names()] : [...own, ...WORDS];
  }

  reportUnknown(name: string, span: Span): void {
    this.reporter.report("MOT013", [name], span, suggest(name, this.names()));
  }

  private cycle(name: string): Value {
    const members = this.active.slice(this.active.indexOf(name));
    const binding = this.bindings.get(name);
    // `context = context / 2` in a recipe: the recipe's own key hides the model's.
    const hidden = members.length === 1 && this.outer?.names().includes(name);
    const hint = hidden ? `here '${name}' is this block's own key, which hides the model's '${name}'` : undefined;
    this.reporter.report("MOT020", [name, [...members, name].join(" -> ")], binding?.nameSpan ?? this.defaultSpan, hint);
    for (const member of members) this.values.set(member, ERROR);
    return ERROR;
  }
}
