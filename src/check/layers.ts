// The layers of LANGUAGE.md ("Layers"): each kind's arguments, defaults and
// checks, turning one layer call into the IR's layer (without its index, which
// is given when `repeat` is expanded). A new layer kind is one entry here.
import type { Activation, PositionKind, Sublayer, Temperature } from "../ir/model.js";
import type { LayerCall } from "../syntax/ast.js";
import { suggest } from "../syntax/diagnostics.js";
import { argFields, callDefaults, collectArgs, type EvalContext } from "./eval.js";
import { MODEL_KEYS } from "./bindings.js";
import { Reader } from "./reader.js";
import { RECIPE_KEYS } from "./recipe.js";

/** A checked layer call; sublayers get their index when the stack is expanded. */
export type LayerResult =
  | { kind: "embed"; position: PositionKind }
  | { kind: "head"; tied: boolean }
  | { kind: "sublayer"; layer: SublayerWithoutIndex };

export type SublayerWithoutIndex = Sublayer extends infer S ? (S extends Sublayer ? Omit<S, "index"> : never) : never;

/** What a layer may depend on: the model's widths (undefined when they are themselves wrong). */
export interface LayerContext extends EvalContext {
  dModel?: number;
  dFF?: number;
}

interface LayerKind {
  args: readonly string[];
  read(r: Reader, call: LayerCall, context: LayerContext): LayerResult | undefined;
}

const ACTIVATIONS: readonly Activation[] = ["relu", "gelu"];
const positive = { positive: true };

export const LAYER_KINDS: Record<string, LayerKind> = {
  embed: {
    args: ["position"],
    read: (r) => {
      const position = r.choice<PositionKind>("position", ["learned", "sinusoidal", "none"], "learned");
      return position && { kind: "embed", position };
    },
  },

  attention: {
    args: ["heads", "causal", "bias"],
    read: (r, _call, { dModel }) => {
      const heads = r.int("heads", undefined, positive);
      const causal = r.bool("causal", true);
      const bias = r.bool("bias", false);
      if (heads !== undefined && dModel !== undefined && dModel % heads !== 0) {
        r.fail("MOT026", [heads, dModel], r.spanOf("heads"), divisorsNear(dModel, heads));
      }
      if (heads === undefined || causal === undefined || bias === undefined || r.failed || dModel === undefined) return undefined;
      return { kind: "sublayer", layer: { kind: "attention", heads, headDim: dModel / heads, causal, bias } };
    },
  },

  ff: {
    args: ["size", "activation"],
    read: (r, _call, { dFF }) => {
      const size = r.has("size") ? r.int("size", undefined, positive) : dFF;
      const activation = r.choice("activation", ACTIVATIONS, "relu");
      if (size === undefined || activation === undefined) return undefined;
      return { kind: "sublayer", layer: { kind: "ff", size, activation } };
    },
  },

  mot: {
    args: ["experts", "group", "expert_size", "temp", "activation"],
    read: (r, call, context) => {
      const experts = r.int("experts", undefined, positive);
      const group = atLeastOne(r, "group", r.int("group"));
      const expertSize = r.has("expert_size") ? r.int("expert_size", undefined, positive) : motExpertSize(r, call, context.dFF, group, experts);
      const temp = temperature(r, context);
      const activation = r.choice("activation", ACTIVATIONS, "relu");
      if (experts === undefined || group === undefined || expertSize === undefined || !temp || !activation) return undefined;
      return { kind: "sublayer", layer: { kind: "mot", experts, group, expertSize, temp, activation } };
    },
  },

  moe: {
    args: ["experts", "routing", "topk", "capacity", "group", "expert_size", "activation", "aux_loss"],
    read: (r, _call, { dFF }) => {
      const experts = r.int("experts", undefined, positive);
      const routing = r.choice("routing", ["token_choice", "expert_choice"] as const, "token_choice");
      const topk = r.int("topk", 1, positive);
      if (topk !== undefined && experts !== undefined && topk > experts) r.fail("MOT029", [topk, experts], r.spanOf("topk"));
      const capacity = r.number("capacity", 1.25, positive);
      const expertChoice = routing === "expert_choice";
      // `group` belongs to expert choice (required there), `aux_loss` to token choice.
      if (!expertChoice && r.has("group")) r.fail("MOT047", ["group", "routing = expert_choice"], r.spanOf("group"));
      if (expertChoice && r.has("aux_loss")) r.fail("MOT047", ["aux_loss", "routing = token_choice"], r.spanOf("aux_loss"));
      const group = expertChoice ? atLeastOne(r, "group", r.int("group")) : undefined;
      // SEMANTICS.md: each expert takes k = ceil(capacity · G / E) of a group's G rows; it cannot take more than there are.
      if (group !== undefined && capacity !== undefined && experts !== undefined && Math.ceil((capacity * group) / experts) > group) {
        const taken = Math.ceil((capacity * group) / experts);
        r.fail("MOT048", [taken, group], r.spanOf("capacity"), `capacity can be at most experts (${experts})`);
      }
      const expertSize = r.has("expert_size") ? r.int("expert_size", undefined, positive) : dFF;
      const activation = r.choice("activation", ACTIVATIONS, "relu");
      const auxLoss = expertChoice ? 0 : r.number("aux_loss", 0.01, { nonNegative: true });
      if (r.failed || experts === undefined || !routing || topk === undefined || capacity === undefined) return undefined;
      if (expertSize === undefined || !activation || auxLoss === undefined) return undefined;
      const layer = { kind: "moe" as const, experts, routing, topk, capacity, expertSize, activation, auxLoss };
      return { kind: "sublayer", layer: group === undefined ? layer : { ...layer, group } };
    },
  },

  head: {
    args: ["tied"],
    read: (r) => {
      const tied = r.bool("tied", true);
      return tied === undefined ? undefined : { kind: "head", tied };
    },
  },
};

export const LAYER_NAMES = Object.keys(LAYER_KINDS);

/** The layer kind named `name` (hasOwn: `constructor` is not a layer). */
export function layerKind(name: string): LayerKind | undefined {
  return Object.hasOwn(LAYER_KINDS, name) ? LAYER_KINDS[name] : undefined;
}

/** Checks one layer call; undefined (with diagnostics) when it is wrong. */
export function checkLayer(call: LayerCall, context: LayerContext): LayerResult | undefined {
  const kind = layerKind(call.name.name);
  if (!kind) {
    const name = call.name.name;
    const isKey = (MODEL_KEYS as readonly string[]).includes(name) || (RECIPE_KEYS as readonly string[]).includes(name);
    const hint = isKey ? `${name} is a key: write ${name} = …` : suggest(name, LAYER_NAMES);
    context.reporter.report("MOT011", [name], call.name.span, hint);
    return undefined;
  }
  const { args, ok } = collectArgs(call.args, kind.args, call.name.name, context.reporter);
  const reader = new Reader(call.name.name, argFields(args, context), { code: "MOT023", span: call.name.span }, context);
  const result = kind.read(reader, call, context);
  return ok && !reader.failed ? result : undefined;
}

/** `group` ≥ 1 has its own message (MOT028). */
function atLeastOne(r: Reader, name: string, value: number | undefined): number | undefined {
  if (value !== undefined && value < 1) return r.fail("MOT028", [value], r.spanOf(name));
  return value;
}

/** MoT experts are FLOP-matched to the dense FFN: f = d_ff · group / experts, which must be whole. */
function motExpertSize(r: Reader, call: LayerCall, dFF?: number, group?: number, experts?: number): number | undefined {
  if (dFF === undefined || group === undefined || experts === undefined) return undefined;
  const size = (dFF * group) / experts;
  if (!Number.isInteger(size) || size < 1) {
    const hint = "set expert_size, or choose experts dividing d_ff * group";
    return r.fail("MOT027", [`${dFF} * ${group} / ${experts} = ${size}`], call.name.span, hint);
  }
  if (size > Number.MAX_SAFE_INTEGER) return r.fail("MOT038", ["expert_size", size, Number.MAX_SAFE_INTEGER], call.name.span);
  return size;
}

/** `temp` = number | learnable | learnable(init = number), default 1.0. */
function temperature(r: Reader, context: EvalContext): Temperature | undefined {
  const field = r.field("temp");
  if (!field) return { kind: "fixed", value: 1 };
  const value = field.value;
  if (value.kind === "number") {
    const fixed = r.number("temp", undefined, positive);
    return fixed === undefined ? undefined : { kind: "fixed", value: fixed };
  }
  if (value.kind === "word" && value.word === "learnable") return { kind: "learnable", init: callDefaults("learnable", context, field.span)!.init };
  if (value.kind === "call" && value.callee === "learnable") return { kind: "learnable", init: value.fields.init };
  if (value.kind === "word" || value.kind === "unknown") {
    return r.notOneOf("temp", field, ["learnable"], "a number, learnable or learnable(init = …)");
  }
  return r.wrongType("temp", field, "a number, learnable or learnable(init = …)");
}

/** "try heads = 4 or 8": the divisors of d_model nearest to what was asked (searched nearby only). */
function divisorsNear(dModel: number, heads: number): string {
  const found: number[] = [];
  for (let k = Math.min(heads - 1, dModel); k >= 1 && heads - k <= 1000; k--) {
    if (dModel % k === 0) {
      found.push(k);
      break;
    }
  }
  for (let k = heads + 1; k <= dModel && k - heads <= 1000; k++) {
    if (dModel % k === 0) {
      found.push(k);
      break;
    }
  }
  return found.length > 0 ? `try heads = ${found.join(" or ")}` : "choose a divisor of d_model";
}
