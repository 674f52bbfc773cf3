// Layer calls (LANGUAGE.md, "Layers") → the IR's layers. `embed` and `head` are
// read here. Every residual sublayer kind is read by the argument schema of its
// IR module (src/ir/layers/), plus its entry in CHECKS below where its arguments
// need more than a schema (a rule across arguments, a value of its own shape).
// Sublayers get their index when `repeat` is expanded (stack.ts).
import type { InitScheme, PositionKind, Sublayer, Temperature } from "../ir/model.js";
import { SUBLAYER_NAMES, sublayerKind, type SublayerKindName } from "../ir/layers/index.js";
import type { ArgSpec, ArgValue, SublayerKind, WithoutIndex } from "../ir/layers/kind.js";
import { rowsPerExpert } from "../ir/layers/moe.js";
import type { LayerCall } from "../syntax/ast.js";
import { suggest } from "../syntax/diagnostics.js";
import { MODEL_KEYS } from "./bindings.js";
import { argFields, callDefaults, collectArgs, type EvalContext } from "./eval.js";
import { readInit } from "./init.js";
import { Reader } from "./reader.js";
import { RECIPE_KEYS } from "./recipe.js";

/** A checked layer call; sublayers get their index when the stack is expanded. */
export type LayerResult =
  | { kind: "embed"; position: PositionKind }
  | { kind: "head"; tied: boolean }
  | { kind: "sublayer"; layer: SublayerWithoutIndex };

export type SublayerWithoutIndex = WithoutIndex<Sublayer>;

/** What a layer may depend on: the model's widths (undefined when they are themselves wrong). */
export interface LayerContext extends EvalContext {
  dModel?: number;
  dFF?: number;
  /** The model's `init` key: the default of a sublayer's `init` argument where its kind sets none. */
  init?: InitScheme;
}

/** Arguments read so far, by .mot name; undefined where a value was wrong (and reported). */
type Args = Record<string, ArgValue | InitScheme | object | undefined>;

/** A sublayer kind's checks beyond its schema: reads its `custom` arguments and rules across arguments. */
interface CheckerEntry {
  check(r: Reader, call: LayerCall, context: LayerContext, args: Args): void;
}

/** Every layer name: embed, the sublayer kinds, head. */
export const LAYER_NAMES: readonly string[] = ["embed", ...SUBLAYER_NAMES, "head"];

/** True when `name` is a layer. */
export function isLayerName(name: string): boolean {
  return LAYER_NAMES.includes(name);
}

/** Checks one layer call; undefined (with diagnostics) when it is wrong. */
export function checkLayer(call: LayerCall, context: LayerContext): LayerResult | undefined {
  const name = call.name.name;
  if (name === "embed") return readCall(call, ["position"], context, (r) => {
    const position = r.choice<PositionKind>("position", ["learned", "sinusoidal", "none"], "learned");
    return position && { kind: "embed", position };
  });
  if (name === "head") return readCall(call, ["tied"], context, (r) => {
    const tied = r.bool("tied", true);
    return tied === undefined ? undefined : { kind: "head", tied };
  });
  const kind = sublayerKind(name);
  if (!kind) {
    const isKey = (MODEL_KEYS as readonly string[]).includes(name) || (RECIPE_KEYS as readonly string[]).includes(name);
    context.reporter.report("MOT011", [name], call.name.span, isKey ? `${name} is a key: write ${name} = …` : suggest(name, LAYER_NAMES));
    return undefined;
  }
  return readCall(call, Object.keys(kind.args), context, (r) => readSublayer(r, call, context, kind));
}

function readCall(call: LayerCall, allowed: readonly string[], context: LayerContext, read: (r: Reader) => LayerResult | undefined): LayerResult | undefined {
  const { args, ok } = collectArgs(call.args, allowed, call.name.name, context.reporter);
  const reader = new Reader(call.name.name, argFields(args, context), { code: "MOT023", span: call.name.span }, context);
  const result = read(reader);
  return ok && !reader.failed ? result : undefined;
}

function readSublayer(r: Reader, call: LayerCall, context: LayerContext, kind: SublayerKind<Sublayer>): LayerResult | undefined {
  const widths = context.dModel === undefined || context.dFF === undefined ? undefined : { dModel: context.dModel, dFF: context.dFF };
  const args: Args = {};
  let init: InitScheme | undefined;
  for (const [name, spec] of Object.entries(kind.args)) {
    if (spec.type === "init") init = context.init && readInit(r, name, context, spec.default ?? context.init);
    else args[name] = readArg(r, name, spec, context);
  }
  CHECKS[kind.kind as SublayerKindName]?.check(r, call, context, args);
  // Every argument is read now, or its mistake reported (a missing width or init was reported where the model sets it).
  if (r.failed || !widths || !init) return undefined;
  const layer = kind.build(args as Record<string, ArgValue | object>, widths);
  return layer && { kind: "sublayer", layer: { ...layer, init } as SublayerWithoutIndex };
}

/** One schema argument; `custom` ones are left to the kind's checker entry (undefined until it reads them). */
function readArg(r: Reader, name: string, spec: ArgSpec, context: LayerContext): ArgValue | undefined {
  switch (spec.type) {
    case "int": {
      if (typeof spec.default !== "function") return r.int(name, spec.default, spec.range);
      if (r.has(name)) return r.int(name, undefined, spec.range);
      return context.dModel === undefined || context.dFF === undefined ? undefined : spec.default({ dModel: context.dModel, dFF: context.dFF });
    }
    case "number":
      return r.number(name, spec.default, spec.range);
    case "bool":
      return r.bool(name, spec.default);
    case "choice":
      return r.choice(name, spec.options, spec.default);
    case "init":
    case "custom":
      return undefined;
  }
}

const positive = { positive: true };

const CHECKS: Partial<Record<SublayerKindName, CheckerEntry>> = {
  attention: {
    check(r, _call, { dModel }, args) {
      const heads = args.heads as number | undefined;
      if (heads !== undefined && dModel !== undefined && dModel % heads !== 0) {
        r.fail("MOT026", [heads, dModel], r.spanOf("heads"), divisorsNear(dModel, heads));
      }
    },
  },

  mot: {
    check(r, call, context, args) {
      args.group = atLeastOne(r, "group", r.int("group"));
      const experts = args.experts as number | undefined;
      args.expert_size = r.has("expert_size")
        ? r.int("expert_size", undefined, positive)
        : motExpertSize(r, call, context.dFF, args.group as number | undefined, experts);
      args.temp = temperature(r, context);
    },
  },

  moe: {
    check(r, _call, _context, args) {
      const experts = args.experts as number | undefined;
      const topk = args.topk as number | undefined;
      if (topk !== undefined && experts !== undefined && topk > experts) r.fail("MOT029", [topk, experts], r.spanOf("topk"));
      const expertChoice = args.routing === "expert_choice";
      // `group` belongs to expert choice (required there), `aux_loss` to token choice.
      if (!expertChoice && r.has("group")) r.fail("MOT047", ["group", "routing = expert_choice"], r.spanOf("group"));
      if (expertChoice && r.has("aux_loss")) r.fail("MOT047", ["aux_loss", "routing = token_choice"], r.spanOf("aux_loss"));
      if (expertChoice) {
        const group = atLeastOne(r, "group", r.int("group"));
        const capacity = args.capacity as number | undefined;
        args.group = group;
        // SEMANTICS.md: each expert takes k = ceil(capacity · G / E) of a group's G rows; it cannot take more than there are.
        if (group !== undefined && capacity !== undefined && experts !== undefined && rowsPerExpert({ capacity, group, experts }) > group) {
          r.fail("MOT048", [rowsPerExpert({ capacity, group, experts }), group], r.spanOf("capacity"), `capacity can be at most experts (${experts})`);
        }
        args.aux_loss = 0;
      } else {
        args.aux_loss = r.number("aux_loss", 0.01, { nonNegative: true });
      }
    },
  },
};

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
    const fixed = r.number("temp", undefined, { positive: true, temperature: true });
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
