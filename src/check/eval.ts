// Expressions → values: arithmetic, names, and the calls of LANGUAGE.md
// (`learnable(init = 0.5)`, `cosine(final = 10%)`, `linear(...)`, `adamw(...)`),
// whose arguments are checked and defaulted here, where the callee is known.
import type { Arg, Expr } from "../syntax/ast.js";
import { suggest } from "../syntax/diagnostics.js";
import type { Span } from "../syntax/span.js";
import { Reader, type Field, type ReaderContext } from "./reader.js";
import type { Reporter } from "./report.js";
import { ERROR, WORDS, describe, type Division, type Value } from "./values.js";

export interface EvalContext extends ReaderContext {
  /** The value of a name in scope, or undefined when no such name is in scope. */
  lookup(name: string): Value | undefined;
}

type NumberValue = Extract<Value, { kind: "number" }>;

/** Each callable's arguments, read with their defaults and ranges. */
const CALLS: Record<string, { args: readonly string[]; read: (r: Reader) => Record<string, number | undefined> }> = {
  learnable: { args: ["init"], read: (r) => ({ init: r.number("init", 1, { positive: true, temperature: true }) }) },
  // `init = normal(std = 0.02)` / `init = fan_in(scale = 1)` (SEMANTICS.md, "Initialisation").
  normal: { args: ["std"], read: (r) => ({ std: r.number("std", 0.02, { nonNegative: true }) }) },
  fan_in: { args: ["scale"], read: (r) => ({ scale: r.number("scale", 1, { positive: true }) }) },
  cosine: { args: ["final"], read: (r) => ({ final: r.number("final", 0.1, { between: { min: 0, max: 1 } }) }) },
  linear: { args: ["final"], read: (r) => ({ final: r.number("final", 0.1, { between: { min: 0, max: 1 } }) }) },
  // `temp = anneal(final = 0.05, start = 80%)`: the recipe checks `start` against `steps` (recipe.ts).
  anneal: {
    args: ["final", "start"],
    read: (r) => ({ final: r.number("final", 0.05, { positive: true, temperature: true }), start: r.number("start", 0.8, { nonNegative: true }) }),
  },
  adamw: {
    args: ["beta1", "beta2", "eps", "weight_decay"],
    read: (r) => ({
      beta1: r.number("beta1", 0.9, { between: { min: 0, max: 1, maxExclusive: true } }),
      beta2: r.number("beta2", 0.95, { between: { min: 0, max: 1, maxExclusive: true } }),
      eps: r.number("eps", 1e-8, { positive: true }),
      weight_decay: r.number("weight_decay", 0.1, { nonNegative: true }),
    }),
  },
};

/** The fields a bare callable word stands for (`temp = learnable`, `schedule = cosine`): every default. */
export function callDefaults(callee: string, context: EvalContext, span: Span): Record<string, number> | undefined {
  const call = Object.hasOwn(CALLS, callee) ? CALLS[callee] : undefined;
  if (!call) return undefined;
  const reader = new Reader(callee, () => undefined, { code: "MOT023", span }, context);
  return call.read(reader) as Record<string, number>;
}

export function evaluate(expr: Expr, context: EvalContext): Value {
  switch (expr.kind) {
    case "number":
      // A malformed or infinite literal was reported by the parser (MOT005).
      return Number.isFinite(expr.value) ? { kind: "number", value: expr.value } : ERROR;
    case "string":
      return { kind: "string", value: expr.value };
    case "bool":
      return { kind: "bool", value: expr.value };
    case "name":
      return context.lookup(expr.name) ?? (WORDS.has(expr.name) ? { kind: "word", word: expr.name } : { kind: "unknown", name: expr.name, span: expr.span });
    case "paren":
      return evaluate(expr.expr, context);
    case "unary": {
      const operand = numberOperand(evaluate(expr.operand, context), expr.operand.span, "-", context);
      return operand ? { kind: "number", value: -operand.value, inexact: operand.inexact } : ERROR;
    }
    case "binary":
      return binary(expr, context);
    case "call":
      return call(expr, context);
  }
}

/**
 * `a + b - c …` nests to the left as deep as the chain is long (a flat sum of
 * 5,000 terms is 5,000 deep), so the left spine is walked in a loop, not by
 * recursion: the innermost operand first, then each operator outwards, in the
 * order (and with the diagnostics) a recursive evaluation would give.
 */
function binary(expr: Extract<Expr, { kind: "binary" }>, context: EvalContext): Value {
  const spine: Extract<Expr, { kind: "binary" }>[] = [];
  let innermost: Expr = expr;
  for (; innermost.kind === "binary"; innermost = innermost.left) spine.push(innermost);
  let value = evaluate(innermost, context);
  for (let i = spine.length - 1; i >= 0; i--) value = combine(spine[i], value, context);
  return value;
}

/** One operator applied to its evaluated left operand and its right operand. */
function combine(expr: Extract<Expr, { kind: "binary" }>, leftValue: Value, context: EvalContext): Value {
  const left = numberOperand(leftValue, expr.left.span, expr.op, context);
  const right = numberOperand(evaluate(expr.right, context), expr.right.span, expr.op, context);
  if (!left || !right) return ERROR;
  let value: number;
  let inexact: Division | undefined = left.inexact ?? right.inexact;
  switch (expr.op) {
    case "+":
      value = left.value + right.value;
      break;
    case "-":
      value = left.value - right.value;
      break;
    case "*":
      value = left.value * right.value;
      break;
    case "/":
      if (right.value === 0) {
        context.reporter.report("MOT037", [], expr.span);
        return ERROR;
      }
      value = left.value / right.value;
      if (!Number.isInteger(value)) inexact ??= { left: left.value, right: right.value, span: expr.span };
      break;
  }
  if (!Number.isFinite(value)) {
    context.reporter.report("MOT042", [`${left.value} ${expr.op} ${right.value}`], expr.span);
    return ERROR;
  }
  return inexact ? { kind: "number", value, inexact } : { kind: "number", value };
}

function numberOperand(value: Value, span: Span, op: string, context: EvalContext): NumberValue | undefined {
  if (value.kind === "number") return value;
  if (value.kind === "unknown") context.reportUnknown(value.name, value.span);
  else if (value.kind !== "error") context.reporter.report("MOT024", [`the operand of '${op}'`, "a number", describe(value)], span);
  return undefined;
}

function call(expr: Extract<Expr, { kind: "call" }>, context: EvalContext): Value {
  const callee = expr.callee.name;
  // hasOwn: a name like `constructor` must not find Object.prototype's.
  const schema = Object.hasOwn(CALLS, callee) ? CALLS[callee] : undefined;
  if (!schema) {
    if (WORDS.has(callee) || context.lookup(callee) !== undefined) {
      context.reporter.report("MOT039", [callee], expr.callee.span);
    } else {
      context.reporter.report("MOT013", [callee], expr.callee.span, suggest(callee, Object.keys(CALLS)));
    }
    return ERROR;
  }
  const { args, ok } = collectArgs(expr.args, schema.args, callee, context.reporter);
  const reader = new Reader(callee, argFields(args, context), { code: "MOT023", span: expr.callee.span }, context);
  const fields = schema.read(reader);
  if (!ok || reader.failed) return ERROR;
  return { kind: "call", callee, fields: fields as Record<string, number> };
}

/**
 * The arguments of a call or layer by name. An unknown one is MOT012 with a
 * suggestion, a repeated one MOT019; `ok` is false after either.
 */
export function collectArgs(
  args: readonly Arg[],
  allowed: readonly string[],
  owner: string,
  reporter: Reporter,
): { args: Map<string, Arg>; ok: boolean } {
  const byName = new Map<string, Arg>();
  let ok = true;
  for (const arg of args) {
    const name = arg.name.name;
    if (!allowed.includes(name)) {
      reporter.report("MOT012", [name, owner], arg.name.span, suggest(name, allowed));
      ok = false;
    } else if (byName.has(name)) {
      reporter.report("MOT019", [name], arg.name.span);
      ok = false;
    } else {
      byName.set(name, arg);
    }
  }
  return { args: byName, ok };
}

/** A reader's view of call arguments: each evaluated once, when first read. */
export function argFields(args: ReadonlyMap<string, Arg>, context: EvalContext): (name: string) => Field | undefined {
  const evaluated = new Map<string, Field>();
  return (name) => {
    const arg = args.get(name);
    if (!arg) return undefined;
    let field = evaluated.get(name);
    if (!field) {
      field = { value: evaluate(arg.value, context), span: arg.value.span };
      evaluated.set(name, field);
    }
    return field;
  };
}
