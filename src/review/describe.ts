// The elaborated model as a reviewer sees it: every key and argument with its
// value (defaults included, spelled as in a .mot file), each part's output
// shape, parameters and cost. explain, summary, diff and graph all render this
// one description, so they can never disagree about what a model is.
import { modelCost, type PartCost } from "../ir/cost.js";
import { SUBLAYER_KINDS, kindOf } from "../ir/layers/index.js";
import { formatNumber, type ParamRole, type Value } from "../ir/layers/kind.js";
import type { InitScheme, ModelIR, Recipe, Sublayer } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";

export type { CallValue, Value } from "../ir/layers/kind.js";

/** A dimension of a symbolic shape: `B` (batch) and `T` (positions) stay symbols. */
export type Dim = number | "B" | "T";

export interface ParamDescription {
  name: string;
  shape: number[];
  count: number;
}

export type PartKind = "embed" | "head" | Sublayer["kind"];

/** `embed`, a residual sublayer `layers.i`, or `head`. */
export interface PartDescription {
  /** Sublayer index as in SEMANTICS.md; absent for embed and head. */
  index?: number;
  /** "embed", "layers.i" or "head": the prefix of its parameter names. */
  name: string;
  kind: PartKind;
  /** Every argument, defaults included, in LANGUAGE.md's order. */
  args: Record<string, Value>;
  outputShape: Dim[];
  params: ParamDescription[];
  paramCount: number;
  activeParamsPerToken: number;
  flopsPerToken: number;
}

export interface Totals {
  params: number;
  activeParamsPerToken: number;
  flopsPerToken: number;
}

export interface ModelDescription {
  name: string;
  parent: string | null;
  /** Model keys (LANGUAGE.md, "Model parameters"), defaults included. */
  hyperparameters: Record<string, Value>;
  embed: PartDescription;
  sublayers: PartDescription[];
  head: PartDescription;
  totals: Totals;
  /** Recipe keys (LANGUAGE.md, "Training recipes"), defaults included; null without a recipe. */
  recipe: Record<string, Value> | null;
}

export function describeModel(model: ModelIR): ModelDescription {
  const cost = modelCost(model);
  const table = parameterTable(model);
  // Indexed once: a lookup per part keeps a 10,000-sublayer model linear, not quadratic.
  const paramsByOwner = new Map<"embed" | "head" | number, ParamDescription[]>();
  for (const p of table) {
    const list = paramsByOwner.get(p.owner) ?? [];
    list.push({ name: p.name, shape: [...p.shape], count: paramCount(p.shape) });
    paramsByOwner.set(p.owner, list);
  }
  const paramsOf = (owner: "embed" | "head" | number): ParamDescription[] => paramsByOwner.get(owner) ?? [];
  const costs = new Map(cost.parts.map((p) => [p.name, p]));
  const costOf = (name: string): PartCost => {
    const part = costs.get(name);
    if (!part) throw new Error(`no cost for ${name}`);
    return part;
  };
  const part = (name: string, kind: PartKind, owner: "embed" | "head" | number, args: Record<string, Value>, width: number, index?: number): PartDescription => {
    const c = costOf(name);
    return {
      ...(index === undefined ? {} : { index }),
      name,
      kind,
      args,
      outputShape: ["B", "T", width],
      params: paramsOf(owner),
      paramCount: c.params,
      activeParamsPerToken: c.activeParams,
      flopsPerToken: c.flopsPerToken,
    };
  };
  return {
    name: model.name,
    parent: model.parent ?? null,
    hyperparameters: {
      vocab: model.vocab,
      context: model.context,
      d_model: model.dModel,
      d_ff: model.dFF,
      norm: model.norm,
      norm_eps: model.normEps,
      dropout: model.dropout,
      init: initValue(model.init),
    },
    embed: part("embed", "embed", "embed", { position: model.position }, model.dModel),
    sublayers: model.sublayers.map((layer) =>
      part(`layers.${layer.index}`, layer.kind, layer.index, sublayerArgs(layer), model.dModel, layer.index),
    ),
    head: part("head", "head", "head", { tied: model.tiedHead }, model.vocab),
    totals: { params: cost.params, activeParamsPerToken: cost.activeParams, flopsPerToken: cost.flopsPerToken },
    recipe: model.recipe ? recipeKeys(model.recipe) : null,
  };
}

/** A sublayer's arguments as LANGUAGE.md's layer table lists them, every default filled in. */
export function sublayerArgs(layer: Sublayer): Record<string, Value> {
  return { ...kindOf(layer).describe(layer), init: initValue(layer.init) };
}

/** `normal(std = 0.02)`, `fan_in(scale = 1)` */
export function initValue(init: InitScheme): Value {
  return init.kind === "normal" ? { call: "normal", args: { std: init.std } } : { call: "fan_in", args: { scale: init.scale } };
}

function recipeKeys(recipe: Recipe): Record<string, Value> {
  const schedule: Value =
    recipe.schedule.kind === "constant" ? "constant" : { call: recipe.schedule.kind, args: { final: recipe.schedule.final } };
  const { beta1, beta2, eps, weightDecay } = recipe.optimizer;
  return {
    steps: recipe.steps,
    batch: recipe.batch,
    context: recipe.context,
    lr: recipe.lr,
    warmup: recipe.warmup,
    schedule,
    optimizer: { call: "adamw", args: { beta1, beta2, eps, weight_decay: weightDecay } },
    clip: recipe.clip,
    seed: recipe.seed,
    eval_every: recipe.evalEvery,
    checkpoint_every: recipe.checkpointEvery,
    temp: recipe.temp ? { call: "anneal", args: { final: recipe.temp.final, start: recipe.temp.start } } : "none",
  };
}

export type { ParamRole } from "../ir/layers/kind.js";

/** What a parameter does, for per-role totals ("FFN parameters 32×"): a sublayer's by its kind's role. */
export function paramRole(name: string): ParamRole {
  if (name.startsWith("embed.")) return "embedding";
  if (name === "head.unembed") return "unembedding";
  if (/(^|\.)norm\./.test(name)) return "norm";
  const prefix = /^layers\.\d+\.([^.]+)\./.exec(name)?.[1];
  const kind = Object.values(SUBLAYER_KINDS).find((k) => k.paramPrefix === prefix);
  if (!kind) throw new Error(`internal: parameter '${name}' belongs to no layer kind`);
  return kind.role;
}

export const paramRoles: readonly ParamRole[] = ["embedding", "attention", "ffn", "norm", "unembedding"];

export function paramsByRole(description: ModelDescription): Record<ParamRole, number> {
  const totals: Record<ParamRole, number> = { embedding: 0, attention: 0, ffn: 0, norm: 0, unembedding: 0 };
  for (const part of allParts(description)) {
    for (const p of part.params) totals[paramRole(p.name)] += p.count;
  }
  return totals;
}

export function allParts(description: ModelDescription): PartDescription[] {
  return [description.embed, ...description.sublayers, description.head];
}

// ---- writing values as .mot text -------------------------------------------------

export { formatNumber } from "../ir/layers/kind.js";

export function formatValue(value: Value): string {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean" || typeof value === "string") return String(value);
  return `${value.call}(${formatArgs(value.args)})`;
}

/** `heads = 4, causal = true, bias = false` */
export function formatArgs(args: Record<string, Value>): string {
  return Object.entries(args)
    .map(([key, value]) => `${key} = ${formatValue(value)}`)
    .join(", ");
}

/** `attention(heads = 4, causal = true, bias = false)` */
export function formatCall(part: PartDescription): string {
  return `${part.kind}(${formatArgs(part.args)})`;
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

/** 12931584 → "12,931,584" */
export function groupDigits(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const [whole, fraction] = String(Math.abs(value)).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${value < 0 ? "-" : ""}${grouped}${fraction ? `.${fraction}` : ""}`;
}

/** 12931584 → "12.9M": for pictures and headlines, never for exact counts. */
export function compact(value: number): string {
  const units: [number, string][] = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [scale, unit] of units) {
    if (Math.abs(value) >= scale) return `${trimFixed(value / scale, value / scale >= 100 ? 0 : 1)}${unit}`;
  }
  return trimFixed(value, Number.isInteger(value) ? 0 : 2);
}

function trimFixed(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
}

export function valuesEqual(a: Value | undefined, b: Value | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a !== "object" || typeof b !== "object") return a === b;
  if (a.call !== b.call) return false;
  const keys = new Set([...Object.keys(a.args), ...Object.keys(b.args)]);
  return [...keys].every((k) => valuesEqual(a.args[k], b.args[k]));
}
