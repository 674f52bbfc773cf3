// What every residual sublayer kind says about itself, in one place: its
// arguments and their defaults, its parameters and how they start, what it
// costs, how reviewers see it. The checker, the parameter table, the cost and
// memory models and the review tools all read a kind through this interface;
// each lowering target (onnx/, tfjs/) has one file per kind, found through the
// registry (./index.ts). A new kind is one module here, one file per target and
// one line in the registry — see "Adding a layer kind" in docs/STYLE.md.
import type { InitScheme, ModelIR } from "../model.js";
import type { InitKind } from "../params.js";

/** A value as written in a .mot file: a number, a boolean, an enumerated word, or a call. */
export type Value = number | boolean | string | CallValue;

/** `learnable(init = 0.5)`, `cosine(final = 0.1)`, `adamw(...)`. */
export interface CallValue {
  call: string;
  args: Record<string, Value>;
}

/** What an argument's value must satisfy. */
export interface Range {
  /** Must be > 0 (MOT025). */
  positive?: boolean;
  /** Must be ≥ 0 (MOT043). */
  nonNegative?: boolean;
  /** Must lie in [min, max] or [min, max) (MOT041). */
  between?: { min: number; max: number; maxExclusive?: boolean };
}

/** The model-level widths a layer's defaults depend on. */
export interface Widths {
  dModel: number;
  dFF: number;
}

/**
 * One argument of a layer call. The checker reads `int`, `number`, `bool` and
 * `choice` arguments by this schema alone; a `custom` one (whose rules involve
 * other arguments or a value of its own shape) is read by the kind's entry in
 * src/check/layers.ts. `default` absent means required.
 */
export type ArgSpec =
  | { type: "int"; default?: number | ((widths: Widths) => number); range?: Range }
  | { type: "number"; default?: number; range?: Range }
  | { type: "bool"; default: boolean }
  | { type: "choice"; options: readonly string[]; default?: string }
  /** `init = normal(std = …) | fan_in(scale = …)`; `default` absent: the model's `init` key. */
  | { type: "init"; default?: InitScheme }
  | { type: "custom"; words?: readonly string[] };

export type ArgValue = number | boolean | string;

/** A parameter of one sublayer, named relative to `layers.i.` (e.g. `mot.w1`). */
export interface LocalParam {
  name: string;
  shape: number[];
  init: InitKind;
  /** AdamW decays matrices only (not norms, biases, log_temp). */
  decay: boolean;
}

/**
 * How one matrix of a layer starts, under the layer's `init` scheme (params.ts):
 * `fanIn` is its input width; `residual` marks the matrix that writes into the
 * residual stream (`wo`, `w2`, `w_down`), which `normal(std)` starts smaller.
 */
export type MatrixInit = (fanIn: number, residual?: boolean) => InitKind;

/** What a parameter does, for per-role totals in `summary` and `diff`. */
export type ParamRole = "embedding" | "attention" | "ffn" | "norm" | "unembedding";

/** One line of a box in `motc graph`. */
export interface PictureLine {
  text: string;
  /** "title" lines are bold; "dim" lines are grey. */
  style?: "title" | "dim";
}

/** How `motc graph` draws a kind: lines under the box's title, stages drawn inside it, and its colours. */
export interface Picture {
  lines: PictureLine[];
  /** A compound box: these stages are laid out inside it, top to bottom (MoT's controller → mix → experts → emit). */
  stages?: { name: string; lines: PictureLine[] }[];
}

export interface PictureStyle {
  fill: string;
  /** Border colour, and a thicker border, for the kind the picture is about. */
  stroke?: string;
}

/** A sublayer as the IR holds it: its kind, its index `i` (`layers.i.*`), how it starts, and its checked arguments. */
export interface SublayerBase {
  kind: string;
  index: number;
  /** Its `init` argument, defaults filled in (the kind's, else the model's `init` key). */
  init: InitScheme;
}

export type WithoutIndex<L> = L extends unknown ? Omit<L, "index"> : never;
/** What a kind builds from its arguments: the checker adds `index` (when expanding `repeat`) and `init`. */
export type Built<L> = L extends unknown ? Omit<L, "index" | "init"> : never;

export interface SublayerKind<L extends SublayerBase> {
  kind: L["kind"];
  /** What the kind is, in a few words (for `motc graph` and docs). */
  title: string;
  /** Every argument in LANGUAGE.md's order: `explain` prints them in this order. */
  args: Readonly<Record<string, ArgSpec>>;
  /**
   * The layer from its checked arguments (schema arguments by their names, defaults filled;
   * `custom` ones as the kind's checker entry read them). Undefined only for arguments the
   * checker entry has already reported.
   */
  build(args: Readonly<Record<string, ArgValue | object>>, widths: Widths): Built<L> | undefined;
  /** Every argument but `init` as .mot values, defaults included, in `args` order (explain, diff, transition's spec). */
  describe(layer: L): Record<string, Value>;
  /** The prefix of its parameter names after `layers.i.` (`attn`, `ff`, `mot`, …). */
  paramPrefix: string;
  /** Its parameters (names relative to `layers.i.`), with shapes and initialisation (matrices through `init`). */
  params(layer: L, model: ModelIR, init: MatrixInit): LocalParam[];
  /** FLOPs per token (a multiply-add is 2; SEMANTICS.md). */
  flopsPerToken(layer: L, model: ModelIR): number;
  /** Parameters one token's forward pass reads; absent: all of them. */
  activeParams?(layer: L, params: number, model: ModelIR): number;
  /**
   * Floats per token the backward pass keeps (ir/memory.ts), including the input and
   * the norm, in a training step of `batch` rows (MoT's groups form within them).
   */
  activationFloats(layer: L, model: ModelIR, context: number, batch: number): number;
  /** Which per-role total its parameters count towards. */
  role: ParamRole;
  picture(layer: L, model: ModelIR): Picture;
  style: PictureStyle;
}

/** A matrix, decayed, starting as `init` says. */
export function matrix(name: string, shape: number[], init: InitKind): LocalParam {
  return { name, shape, init, decay: true };
}

/** A bias initialised to zeros, not decayed. */
export function bias(name: string, size: number): LocalParam {
  return { name, shape: [size], init: { kind: "zeros" }, decay: false };
}

/** A number as a .mot literal: integers plainly, tiny fractions in exponent form (`1e-5`). */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential().replace("e+", "e");
  return String(value);
}
