// `motc explain`: each model written out as a .mot model with every default
// filled in and every repeat/extends/replace expanded, sublayers numbered as in
// SEMANTICS.md, with shapes, parameters and FLOPs per token as aligned comments;
// or the same facts as JSON in the stable schema `motc.explain/1`.
import {
  allParts,
  formatCall,
  formatNumber,
  formatShape,
  formatValue,
  groupDigits,
  type ModelDescription,
  type PartDescription,
  type Value,
} from "./describe.js";
import { alignRows } from "./table.js";

export const EXPLAIN_SCHEMA = "motc.explain/1";

export function explainText(models: readonly ModelDescription[]): string {
  return models.map(explainModel).join("\n");
}

function explainModel(model: ModelDescription): string {
  const origin = model.parent ? `extends ${model.parent} (applied); ` : "";
  const lines = [`model ${model.name} {  # ${origin}every default filled in, repeat/replace expanded`];
  lines.push(...keyLines(model.hyperparameters).map((l) => `  ${l}`), "");
  lines.push(...partLines(model), "}");
  if (model.recipe) lines.push("", ...recipeLines(model));
  return lines.join("\n") + "\n";
}

/** `key = value` lines with the `=` signs aligned. */
function keyLines(keys: Record<string, Value>, notes: Record<string, string> = {}): string[] {
  const width = Math.max(...Object.keys(keys).map((k) => k.length));
  const rows = Object.entries(keys).map(([key, value]) => [`${key.padEnd(width)} = ${formatValue(value)}`, notes[key] ? `# ${notes[key]}` : ""]);
  return alignRows(rows, ["left", "left"]);
}

/** Calls longer than this get their numbers on the next line, so one long `mot(...)` does not push every comment off screen. */
const CALL_COLUMN = 64;

/**
 * Each part on its line (`layers.1 mot(...)`) with a comment of output shape,
 * parameters, active parameters and FLOPs per token; below it, each parameter's
 * name, shape and size.
 */
function partLines(model: ModelDescription): string[] {
  const parts = allParts(model);
  const labels = parts.map((part) => (part.index === undefined ? formatCall(part) : `${part.name} ${formatCall(part)}`));
  const numbers = alignRows(
    [
      ["#", "output", "params", "active/token", "FLOPs/token"],
      ...parts.map((part) => ["#", formatShape(part.outputShape), groupDigits(part.paramCount), groupDigits(part.activeParamsPerToken), groupDigits(part.flopsPerToken)]),
      ["#", "total", groupDigits(model.totals.params), groupDigits(model.totals.activeParamsPerToken), groupDigits(model.totals.flopsPerToken)],
    ],
    ["left", "left", "right", "right", "right"],
  );
  const column = Math.min(CALL_COLUMN, Math.max(...labels.map((l) => l.length)));
  const withNumbers = (label: string, comment: string): string[] =>
    label.length > column ? [`  ${label}`, `  ${" ".repeat(column)}  ${comment}`] : [`  ${label.padEnd(column)}  ${comment}`];
  const paramRows = parts.map((part) => part.params.map((p) => ["#", p.name, formatShape(p.shape), groupDigits(p.count)]));
  const paramLines = alignRows(paramRows.flat(), ["left", "left", "left", "right"]);
  const lines = withNumbers("", numbers[0]);
  let next = 0;
  parts.forEach((part, i) => {
    lines.push(...withNumbers(labels[i], numbers[i + 1]));
    for (let k = 0; k < paramRows[i].length; k++) lines.push(`    ${paramLines[next++]}`);
    if (part.kind === "head" && part.args.tied === true) lines.push("    #  (unembedding tied to embed.token)");
  });
  lines.push(...withNumbers("", numbers[numbers.length - 1]));
  return lines;
}

function recipeLines(model: ModelDescription): string[] {
  const recipe = model.recipe;
  if (!recipe) return [];
  const notes: Record<string, string> = {};
  const steps = recipe.steps as number;
  const batch = recipe.batch as number;
  const context = recipe.context as number;
  const warmup = recipe.warmup as number;
  notes.warmup = `steps (${formatNumber(Number(((100 * warmup) / steps).toPrecision(6)))}% of steps)`;
  const tokensPerStep = batch * context;
  const lines = [`train ${model.name} {${model.parent ? `  # inherited through extends ${model.parent} unless overridden` : ""}`];
  lines.push(...keyLines(recipe, notes).map((l) => `  ${l}`));
  lines.push(`  # ${groupDigits(tokensPerStep)} tokens per step (batch × context), ${groupDigits(tokensPerStep * steps)} in all`);
  // Backward costs about twice the forward pass, hence ≈ 3 × forward FLOPs per trained token.
  lines.push(`  # training compute ≈ 3 × ${groupDigits(model.totals.flopsPerToken)} FLOPs/token × tokens = ${(3 * model.totals.flopsPerToken * tokensPerStep * steps).toExponential(3)} FLOPs`);
  lines.push("}");
  return lines;
}

// ---- JSON ---------------------------------------------------------------------------

/**
 * The `motc.explain/1` document. Keys come out in a fixed order (the order
 * they are built in below), so equal models give byte-identical JSON.
 */
export function explainJson(models: readonly ModelDescription[]): string {
  const document = {
    schema: EXPLAIN_SCHEMA,
    models: models.map((m) => ({
      name: m.name,
      parent: m.parent,
      hyperparameters: jsonArgs(m.hyperparameters),
      input: { name: "input_ids", dtype: "int64", shape: ["B", "T"] },
      embed: jsonPart(m.embed),
      sublayers: m.sublayers.map(jsonPart),
      head: jsonPart(m.head),
      totals: {
        params: m.totals.params,
        activeParamsPerToken: m.totals.activeParamsPerToken,
        flopsPerToken: m.totals.flopsPerToken,
        sublayers: m.sublayers.length,
      },
      recipe: m.recipe ? jsonArgs(m.recipe) : null,
    })),
  };
  return JSON.stringify(document, null, 2) + "\n";
}

function jsonPart(part: PartDescription) {
  return {
    ...(part.index === undefined ? {} : { index: part.index }),
    name: part.name,
    kind: part.kind,
    args: jsonArgs(part.args),
    call: formatCall(part),
    outputShape: part.outputShape,
    params: part.params.map((p) => ({ name: p.name, shape: p.shape, count: p.count })),
    paramCount: part.paramCount,
    activeParamsPerToken: part.activeParamsPerToken,
    flopsPerToken: part.flopsPerToken,
  };
}

type JsonValue = number | boolean | string | { call: string; args: Record<string, JsonValue> };

function jsonArgs(args: Record<string, Value>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(args)) out[key] = jsonValue(value);
  return out;
}

function jsonValue(value: Value): JsonValue {
  return typeof value === "object" ? { call: value.call, args: jsonArgs(value.args) } : value;
}
