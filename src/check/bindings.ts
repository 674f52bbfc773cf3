// The assignments and `let` constants of one model or train block, by name:
// unknown keys (with a suggestion), a constant named like a key, and a name set
// twice are reported here, once per block.
import type { Assign, Let } from "../syntax/ast.js";
import { suggest } from "../syntax/diagnostics.js";
import type { Reporter } from "./report.js";
import type { Binding } from "./scope.js";
import { isLayerName } from "./layers.js";

export const MODEL_KEYS = ["vocab", "context", "d_model", "d_ff", "norm", "norm_eps", "dropout", "init"] as const;

export function blockBindings(
  statements: readonly (Assign | Let | { kind: string })[],
  keys: readonly string[],
  /** `model` or `recipe`, for messages. */
  what: "model" | "recipe",
  reporter: Reporter,
): { bindings: Map<string, Binding>; ok: boolean } {
  const bindings = new Map<string, Binding>();
  let ok = true;
  for (const statement of statements) {
    if (statement.kind !== "assign" && statement.kind !== "let") continue;
    const { name: ident, binding } = toBinding(statement as Assign | Let, keys);
    if (statement.kind === "assign" && !binding.known) {
      const hint = isLayerName(ident.name) ? `${ident.name} is a layer: write ${ident.name}(…)` : suggest(ident.name, keys);
      reporter.report(what === "model" ? "MOT010" : "MOT016", [ident.name], ident.span, hint);
      ok = false;
    } else if (statement.kind === "let" && keys.includes(ident.name)) {
      reporter.report("MOT045", [ident.name, what], ident.span);
      ok = false;
      continue;
    }
    if (bindings.has(ident.name)) {
      reporter.report("MOT019", [ident.name], ident.span);
      ok = false;
      continue;
    }
    bindings.set(ident.name, binding);
  }
  return { bindings, ok };
}

function toBinding(statement: Assign | Let, keys: readonly string[]) {
  if (statement.kind === "assign") {
    const name = statement.key;
    return { name, binding: { name: name.name, nameSpan: name.span, expr: statement.value, known: keys.includes(name.name) } as Binding };
  }
  const name = statement.name;
  return { name, binding: { name: name.name, nameSpan: name.span, expr: statement.value, let: statement, known: false } as Binding };
}
