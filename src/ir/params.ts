// The parameter table: every tensor a model owns, with SEMANTICS.md's name and
// layout. Both lowerings, the checkpoint format and the review tools read it, so
// this is the one place that knows what `layers.3.mot.w1` is.
import { kindOf } from "./layers/index.js";
import type { MatrixInit } from "./layers/kind.js";
import type { InitScheme, ModelIR } from "./model.js";

/** How a parameter starts before training (see init.ts). */
export type InitKind =
  | { kind: "normal"; std: number }
  /** N(0, std²) redrawn outside [−bound, bound] (the `fan_in` scheme). */
  | { kind: "truncated_normal"; std: number; bound: number }
  | { kind: "ones" }
  | { kind: "zeros" }
  | { kind: "constant"; value: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
  /** AdamW weight decay applies to matrices only (not norms, biases, log_temp). */
  decay: boolean;
  /** Which part of the model owns it: "embed", "head" or a sublayer index. */
  owner: "embed" | "head" | number;
}

export function paramCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function parameterTable(model: ModelIR): ParamSpec[] {
  const d = model.dModel;
  const table: ParamSpec[] = [];
  const add = (owner: ParamSpec["owner"], name: string, shape: number[], init: InitKind, decay: boolean) =>
    table.push({ name, shape, init, decay, owner });

  // The embedding tables and the unembedding read or write d-wide rows: fan-in d.
  const modelInit = matrixInit(model.init, model);
  add("embed", "embed.token", [model.vocab, d], modelInit(d), true);
  if (model.position === "learned") add("embed", "embed.position", [model.context, d], modelInit(d), true);
  for (const layer of model.sublayers) {
    const prefix = `layers.${layer.index}`;
    addNorm(model, `${prefix}.norm`, (name, shape, init) => add(layer.index, name, shape, init, false));
    for (const p of kindOf(layer).params(layer, model, matrixInit(layer.init, model))) add(layer.index, `${prefix}.${p.name}`, p.shape, p.init, p.decay);
  }
  addNorm(model, "head.norm", (name, shape, init) => add("head", name, shape, init, false));
  if (!model.tiedHead) add("head", "head.unembed", [d, model.vocab], modelInit(d), true);
  return table;
}

/**
 * A layer's `init` scheme as a rule for each of its matrices (SEMANTICS.md, "Initialisation").
 * `normal(std)`: N(0, std²); the matrix writing into the residual stream starts at
 * std / √(sublayers) so the stream's variance does not grow with depth (GPT-2,
 * nanoGPT's c_proj). `fan_in(scale)`: N(0, scale / fan_in) truncated to ±2·scale, as
 * llm-random's `truncated_normal` (lizrd/core/initialization.py).
 */
export function matrixInit(scheme: InitScheme, model: ModelIR): MatrixInit {
  if (scheme.kind === "normal") {
    const residualStd = scheme.std / Math.sqrt(Math.max(1, model.sublayers.length));
    return (_fanIn, residual = false) => ({ kind: "normal", std: residual ? residualStd : scheme.std });
  }
  return (fanIn) => ({ kind: "truncated_normal", std: Math.sqrt(scheme.scale / fanIn), bound: 2 * scheme.scale });
}

function addNorm(model: ModelIR, prefix: string, add: (name: string, shape: number[], init: InitKind) => void) {
  add(`${prefix}.scale`, [model.dModel], { kind: "ones" });
  if (model.norm === "layernorm") add(`${prefix}.bias`, [model.dModel], { kind: "zeros" });
}
