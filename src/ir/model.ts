// The checked model: what the checker produces and every later phase reads.
// Every `repeat` is expanded, every `extends`/`replace` applied and every
// default filled in, so a lowering never needs the syntax tree.
// Names follow SEMANTICS.md: sublayer `i` is `layers.i.*` in the parameter table.

export type NormKind = "layernorm" | "rmsnorm";
export type PositionKind = "learned" | "sinusoidal" | "none";
export type Activation = "relu" | "gelu";

/**
 * How a layer's matrices start (SEMANTICS.md, "Initialisation"):
 * - `normal(std)`: N(0, std²), GPT-2's scheme — the matrix that writes into the
 *   residual stream gets std / √(sublayers) instead;
 * - `fan_in(scale)`: the Mixture-of-Tokens paper's code (llm-random,
 *   `truncated_normal`): N(0, scale / fan_in) truncated to [−2·scale, 2·scale],
 *   fan_in being the matrix's input width.
 */
export type InitScheme = { kind: "normal"; std: number } | { kind: "fan_in"; scale: number };

/** The model key `init`'s default: GPT-2's N(0, 0.02²). */
export const DEFAULT_INIT = { kind: "normal", std: 0.02 } as const satisfies InitScheme;

/** MoT temperature τ: a constant, or `log_temp` learned from `ln(init)`. */
export type Temperature = { kind: "fixed"; value: number } | { kind: "learnable"; init: number };

// The residual sublayers: one module per kind under ./layers/, listed by the
// registry ./layers/index.ts; each kind's IR type lives in its module.
export type { Sublayer, SublayerKindName as SublayerKind } from "./layers/index.js";
import type { Sublayer } from "./layers/index.js";

export type Schedule =
  | { kind: "constant" }
  | { kind: "cosine"; final: number }
  | { kind: "linear"; final: number };

export interface AdamW {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** A `train` block with every default filled in (LANGUAGE.md, "Training recipes"). */
export interface Recipe {
  steps: number;
  batch: number;
  context: number;
  lr: number;
  /** Warm-up in steps (a fraction in the spec is already multiplied out). */
  warmup: number;
  schedule: Schedule;
  optimizer: AdamW;
  clip: number;
  seed: number;
  evalEvery: number;
  checkpointEvery: number;
  /** `temp = anneal(...)`: every learnable MoT temperature pulled to `final`; absent for `temp = none` (the default). */
  temp?: TemperatureAnneal;
}

/**
 * `temp = anneal(final = f, start = s)` (src/train/temperature.ts): over updates
 * start+1 … steps, every learnable `log_temp` is pulled toward ln f, reaching it
 * exactly at the last step; τ then goes log-linearly from its learned value to f.
 */
export interface TemperatureAnneal {
  kind: "anneal";
  /** τ at the end of training (> 0). */
  final: number;
  /** Where the anneal begins, as written: a fraction of `steps` when < 1, else a step number. */
  start: number;
}

export interface ModelIR {
  name: string;
  /** The model this one extends, if any (for review tools; already applied). */
  parent?: string;
  vocab: number;
  context: number;
  dModel: number;
  dFF: number;
  norm: NormKind;
  normEps: number;
  dropout: number;
  /** The model key `init`: the embedding's and head's, and the default of every sublayer without its own. */
  init: InitScheme;
  position: PositionKind;
  sublayers: Sublayer[];
  tiedHead: boolean;
  /** The model's recipe, inherited through `extends`; absent when it has none. */
  recipe?: Recipe;
}
