// Training recipes (LANGUAGE.md, "Training recipes"): a model's recipe is its
// ancestors' `train` blocks and its own, later ones overriding keys one by one,
// evaluated in a scope of the recipe's keys and constants on top of the
// model's, with every default filled in.
import type { Let, TrainDecl } from "../syntax/ast.js";
import type { AdamW, Recipe, Schedule, TemperatureAnneal } from "../ir/model.js";
import { callDefaults } from "./eval.js";
import { Reader } from "./reader.js";
import type { Reporter } from "./report.js";
import { Scope, type Binding, type Default } from "./scope.js";
import { ERROR, type Value } from "./values.js";

export const RECIPE_KEYS = [
  "steps", "batch", "context", "lr", "warmup", "schedule", "optimizer", "clip", "seed", "eval_every", "checkpoint_every", "temp",
] as const;

export interface TrainBlock {
  decl: TrainDecl;
  bindings: ReadonlyMap<string, Binding>;
}

const number = (value: number): Value => ({ kind: "number", value });

function recipeDefaults(modelScope: Scope): Map<string, Default | undefined> {
  // `steps / 20`, rounded down, at least 1.
  const everyTwentieth: Default = (scope) => {
    const steps = scope.lookup("steps");
    return steps?.kind === "number" ? number(Math.max(1, Math.floor(steps.value / 20))) : ERROR;
  };
  return new Map<string, Default | undefined>([
    ["steps", undefined],
    ["batch", undefined],
    ["lr", undefined],
    ["context", () => modelScope.value("context")],
    ["warmup", () => number(0.01)],
    ["schedule", () => ({ kind: "word", word: "cosine" })],
    ["optimizer", () => ({ kind: "word", word: "adamw" })],
    ["clip", () => number(1)],
    ["seed", () => number(0)],
    ["eval_every", everyTwentieth],
    ["checkpoint_every", everyTwentieth],
    ["temp", () => ({ kind: "word", word: "none" })],
  ]);
}

/** The recipe of a model whose `train` blocks (root ancestor first) are `chain`; undefined after an error. */
export function checkRecipe(
  chain: readonly TrainBlock[],
  modelScope: Scope,
  /** The model's context, when it is itself valid. */
  modelContext: number | undefined,
  reporter: Reporter,
  usedLets: Set<Let>,
): Recipe | undefined {
  const leaf = chain[chain.length - 1].decl;
  const bindings = new Map<string, Binding>();
  for (const block of chain) for (const [name, binding] of block.bindings) bindings.set(name, binding);
  const scope = new Scope(bindings, recipeDefaults(modelScope), leaf.name.span, reporter, usedLets, modelScope);
  for (const name of bindings.keys()) scope.value(name);

  const r = new Reader(`train '${leaf.name.name}'`, (name) => scope.field(name), { code: "MOT022", span: leaf.name.span }, scope);
  const positive = { positive: true };
  const steps = r.int("steps", undefined, positive);
  const batch = r.int("batch", undefined, positive);
  const context = r.int("context", undefined, positive);
  if (context !== undefined && modelContext !== undefined && context > modelContext) {
    r.fail("MOT030", [context, modelContext], r.spanOf("context"), `the model reads at most ${modelContext} tokens`);
  }
  const lr = r.number("lr", undefined, positive);
  const warmup = warmupSteps(r, steps);
  const schedule = readSchedule(r, scope);
  const optimizer = readOptimizer(r, scope);
  const clip = r.number("clip", undefined, { nonNegative: true });
  const seed = r.int("seed", undefined, { nonNegative: true });
  const evalEvery = r.int("eval_every", undefined, positive);
  const checkpointEvery = r.int("checkpoint_every", undefined, positive);
  const temp = readTemperature(r, scope, steps);
  if (r.failed || steps === undefined || batch === undefined || context === undefined || lr === undefined) return undefined;
  if (warmup === undefined || !schedule || !optimizer || clip === undefined || seed === undefined) return undefined;
  if (evalEvery === undefined || checkpointEvery === undefined || temp === undefined) return undefined;
  const recipe: Recipe = { steps, batch, context, lr, warmup, schedule, optimizer, clip, seed, evalEvery, checkpointEvery };
  return temp === "none" ? recipe : { ...recipe, temp };
}

/** Warm-up in steps: a value below 1 is a fraction of `steps` (rounded to whole steps). */
function warmupSteps(r: Reader, steps: number | undefined): number | undefined {
  const raw = r.number("warmup", undefined, { nonNegative: true });
  if (raw === undefined || steps === undefined) return undefined;
  if (raw >= 1 && !Number.isInteger(raw) && !(r.field("warmup")!.value as { inexact?: unknown }).inexact) {
    return r.fail("MOT024", ["warmup", "a whole number of steps, or a fraction of steps below 1", raw], r.spanOf("warmup"));
  }
  const warmup = raw < 1 ? Math.round(raw * steps) : r.int("warmup", undefined, { nonNegative: true });
  if (warmup !== undefined && warmup > steps) return r.fail("MOT041", ["warmup", 0, `steps (${steps})`, warmup], r.spanOf("warmup"));
  return warmup;
}

const SCHEDULE_FORMS = "constant, cosine(final = f) or linear(final = f)";

function readSchedule(r: Reader, scope: Scope): Schedule | undefined {
  const field = r.field("schedule")!;
  const value = field.value;
  if (value.kind === "word" && value.word === "constant") return { kind: "constant" };
  if (value.kind === "word" && (value.word === "cosine" || value.word === "linear")) {
    return { kind: value.word, final: callDefaults(value.word, scope, field.span)!.final };
  }
  if (value.kind === "call" && (value.callee === "cosine" || value.callee === "linear")) {
    return { kind: value.callee, final: value.fields.final };
  }
  if (value.kind === "word" || value.kind === "unknown") return r.notOneOf("schedule", field, ["constant", "cosine", "linear"], SCHEDULE_FORMS);
  return r.wrongType("schedule", field, SCHEDULE_FORMS);
}

function readOptimizer(r: Reader, scope: Scope): AdamW | undefined {
  const field = r.field("optimizer")!;
  const value = field.value;
  const fields =
    value.kind === "word" && value.word === "adamw" ? callDefaults("adamw", scope, field.span)
    : value.kind === "call" && value.callee === "adamw" ? value.fields
    : undefined;
  if (fields) return { beta1: fields.beta1, beta2: fields.beta2, eps: fields.eps, weightDecay: fields.weight_decay };
  if (value.kind === "word" || value.kind === "unknown") return r.notOneOf("optimizer", field, ["adamw"], "adamw(beta1, beta2, eps, weight_decay)");
  return r.wrongType("optimizer", field, "adamw(beta1, beta2, eps, weight_decay)");
}

const TEMP_FORMS = "none or anneal(final = τ, start = s)";

/**
 * `temp = none` (the default) or `anneal(final, start)`. `start` is a fraction
 * of `steps` when below 1, else a whole step; either way it must leave at
 * least one step to anneal over (start step < steps).
 */
function readTemperature(r: Reader, scope: Scope, steps: number | undefined): TemperatureAnneal | "none" | undefined {
  const field = r.field("temp")!;
  const value = field.value;
  if (value.kind === "word" && value.word === "none") return "none";
  const fields =
    value.kind === "word" && value.word === "anneal" ? callDefaults("anneal", scope, field.span)
    : value.kind === "call" && value.callee === "anneal" ? value.fields
    : undefined;
  if (!fields) {
    if (value.kind === "word" || value.kind === "unknown") return r.notOneOf("temp", field, ["none", "anneal"], TEMP_FORMS);
    return r.wrongType("temp", field, TEMP_FORMS);
  }
  const { final, start } = fields;
  if (steps === undefined) return undefined;
  if (start >= 1 && !Number.isInteger(start)) {
    return r.fail("MOT024", ["anneal start", "a whole step, or a fraction of steps below 1", start], field.span);
  }
  const startStep = start < 1 ? Math.round(start * steps) : start;
  if (startStep >= steps) {
    return r.fail("MOT041", ["anneal start", 0, `steps - 1 (${steps - 1})`, startStep], field.span, "the anneal needs at least one step after its start");
  }
  return { kind: "anneal", final, start };
}
