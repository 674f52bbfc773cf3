// Shared by the syntax tests: parsing snippets, printing expressions as
// s-expressions (so precedence is visible), and comparing trees without spans.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Expr, ModelStmt, SpecFile } from "../../src/syntax/ast.js";
import { parseSpec } from "../../src/syntax/parse.js";

export function parseClean(text: string, path = "test.mot"): SpecFile {
  const { spec, diagnostics } = parseSpec({ path, text });
  assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.message}`), [], `unexpected diagnostics for:\n${text}`);
  return spec;
}

/** The expression of `x = …` in a one-statement model. */
export function parseExpr(source: string): Expr {
  const spec = parseClean(`model m { x = ${source} }`);
  const statement = spec.decls[0].body[0] as ModelStmt;
  assert.equal(statement.kind, "assign");
  return statement.value;
}

/** `(+ a (* b c))`: structure only, literals as their values. */
export function sexpr(expr: Expr): string {
  switch (expr.kind) {
    case "number":
      return String(expr.value);
    case "string":
      return JSON.stringify(expr.value);
    case "bool":
      return String(expr.value);
    case "name":
      return expr.name;
    case "call":
      return `(${expr.callee.name}${expr.args.map((a) => ` :${a.name.name} ${sexpr(a.value)}`).join("")})`;
    case "unary":
      return `(neg ${sexpr(expr.operand)})`;
    case "binary":
      return `(${expr.op} ${sexpr(expr.left)} ${sexpr(expr.right)})`;
    case "paren":
      return `[${sexpr(expr.expr)}]`;
  }
}

/** A deep copy without `span` keys, for comparing trees of different texts. */
export function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "span")
        .map(([key, inner]) => [key, withoutSpans(inner)]),
    );
  }
  return value;
}

/** Every .mot file under `dir`, recursively, sorted. */
export function motFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.endsWith(".mot"))
    .map((entry) => join(dir, entry))
    .sort();
}
