// `init = normal(std = …) | fan_in(scale = …)` (SEMANTICS.md, "Initialisation"),
// as the model key and as every sublayer's argument. A bare `normal` or `fan_in`
// takes its defaults (std 0.02, scale 1).
import type { InitScheme } from "../ir/model.js";
import { callDefaults, type EvalContext } from "./eval.js";
import type { Reader } from "./reader.js";

const SCHEMES = ["normal", "fan_in"] as const;
const EXPECTED = "normal(std = …) or fan_in(scale = …)";

/** The scheme written as `name`, else `fallback`; undefined after reporting a wrong value. */
export function readInit(r: Reader, name: string, context: EvalContext, fallback: InitScheme): InitScheme | undefined {
  const field = r.field(name);
  if (!field) return fallback;
  const value = field.value;
  const fields = value.kind === "call" ? value.fields
    : value.kind === "word" && (SCHEMES as readonly string[]).includes(value.word) ? callDefaults(value.word, context, field.span)
    : undefined;
  const callee = value.kind === "call" ? value.callee : value.kind === "word" ? value.word : undefined;
  if (fields && callee === "normal") return { kind: "normal", std: fields.std };
  if (fields && callee === "fan_in") return { kind: "fan_in", scale: fields.scale };
  if (value.kind === "word" || value.kind === "unknown") return r.notOneOf(name, field, SCHEMES, EXPECTED);
  return r.wrongType(name, field, EXPECTED);
}
