// The parameter table: every tensor a model owns, with SEMANTICS.md's name and
// layout. Both lowerings, the checkpoint format and the review tools read it, so
// this is the one place that knows what `layers.3.mot.w1` is.
import { kindOf } from "./layers/index.js";
import type { ModelIR } from "./model.js";

/** How a parameter starts before training (see init.ts). */
export type InitKind =
  | { kind: "normal"; std: number }
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

/** Initial standard deviation of weight matrices (GPT-2's). */
export const INIT_STD = 0.02;

export function paramCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function parameterTable(model: ModelIR): ParamSpec[] {
  const d = model.dModel;
  const table: ParamSpec[] = [];
  const add = (owner: ParamSpec["owner"], name: string, shape: number[], init: InitKind, decay: boolean) =>
    table.push({ name, shape, init, decay, owner });

  add("embed", "embed.token", [model.vocab, d], { kind: "normal", std: INIT_STD }, true);
  if (model.position === "learned") {
    add("embed", "embed.position", [model.context, d], { kind: "normal", std: INIT_STD }, true);
  }
  // Residual output projections start smaller so the stream's variance does not
  // grow with depth (GPT-2, nanoGPT's c_proj): std / sqrt(number of sublayers).
  const scale = { std: INIT_STD, outputStd: INIT_STD / Math.sqrt(Math.max(1, model.sublayers.length)) };
  for (const layer of model.sublayers) {
    const prefix = `layers.${layer.index}`;
    addNorm(model, `${prefix}.norm`, (name, shape, init) => add(layer.index, name, shape, init, false));
    for (const p of kindOf(layer).params(layer, model, scale)) add(layer.index, `${prefix}.${p.name}`, p.shape, p.init, p.decay);
  }
  addNorm(model, "head.norm", (name, shape, init) => add("head", name, shape, init, false));
  if (!model.tiedHead) add("head", "head.unembed", [d, model.vocab], { kind: "normal", std: INIT_STD }, true);
  return table;
}

function addNorm(model: ModelIR, prefix: string, add: (name: string, shape: number[], init: InitKind) => void) {
  add(`${prefix}.scale`, [model.dModel], { kind: "ones" });
  if (model.norm === "layernorm") add(`${prefix}.bias`, [model.dModel], { kind: "zeros" });
}
