// `moe(experts, routing, topk, capacity, group, expert_size, activation, aux_loss)` —
// the sparse Mixture-of-Experts baselines (SEMANTICS.md, "moe"): token choice
// (Switch / top-k) and expert choice. Parameters `layers.i.moe.{router [d,E],
// w1 [E,d,f], w2 [E,f,d]}`. `group` belongs to expert choice and `aux_loss` to
// token choice; the checker's entry for moe (src/check/layers.ts) reads them.
import type { Activation } from "../model.js";
import { formatNumber, matrix, type SublayerBase, type SublayerKind, type Value } from "./kind.js";
import { PAPER_INIT } from "./mot.js";

interface SparseExperts extends SublayerBase {
  kind: "moe";
  experts: number;
  topk: number;
  capacity: number;
  expertSize: number;
  activation: Activation;
}

/** Each token goes to its `topk` experts by router probability. */
export interface TokenChoiceLayer extends SparseExperts {
  routing: "token_choice";
  /** Weight of the load-balancing loss. */
  auxLoss: number;
}

/** In each group of `group` batch rows at one position, each expert takes its k best rows. */
export interface ExpertChoiceLayer extends SparseExperts {
  routing: "expert_choice";
  /** Batch rows per routing group. */
  group: number;
}

export type MixtureOfExpertsLayer = TokenChoiceLayer | ExpertChoiceLayer;

/** Expert choice: the rows each expert takes of a group, k = ceil(capacity · G / E) (SEMANTICS.md). */
export function rowsPerExpert(layer: Pick<ExpertChoiceLayer, "capacity" | "group" | "experts">): number {
  return Math.ceil((layer.capacity * layer.group) / layer.experts);
}

/** Experts a token passes through on average: `topk`, or E·k/G with expert choice. */
export function expertsPerToken(layer: MixtureOfExpertsLayer): number {
  return layer.routing === "token_choice" ? layer.topk : (layer.experts * rowsPerExpert(layer)) / layer.group;
}

export const moe: SublayerKind<MixtureOfExpertsLayer> = {
  kind: "moe",
  title: "sparse Mixture of Experts",
  args: {
    experts: { type: "int", range: { positive: true } },
    routing: { type: "choice", options: ["token_choice", "expert_choice"], default: "token_choice" },
    topk: { type: "int", default: 1, range: { positive: true } },
    capacity: { type: "number", default: 1.25, range: { positive: true } },
    group: { type: "custom" },
    expert_size: { type: "int", default: ({ dFF }) => dFF, range: { positive: true } },
    activation: { type: "choice", options: ["relu", "gelu"], default: "relu" },
    aux_loss: { type: "custom" },
    init: { type: "init", default: PAPER_INIT },
  },
  build: (args) => {
    const common = {
      kind: "moe" as const,
      experts: args.experts as number,
      topk: args.topk as number,
      capacity: args.capacity as number,
      expertSize: args.expert_size as number,
      activation: args.activation as Activation,
    };
    return args.routing === "expert_choice"
      ? { ...common, routing: "expert_choice", group: args.group as number }
      : { ...common, routing: "token_choice", auxLoss: args.aux_loss as number };
  },
  describe: (layer) => {
    const args: Record<string, Value> = { experts: layer.experts, routing: layer.routing, topk: layer.topk, capacity: layer.capacity };
    if (layer.routing === "expert_choice") args.group = layer.group;
    args.expert_size = layer.expertSize;
    args.activation = layer.activation;
    if (layer.routing === "token_choice") args.aux_loss = layer.auxLoss;
    return args;
  },
  paramPrefix: "moe",
  params: (layer, model, init) => [
    matrix("moe.router", [model.dModel, layer.experts], init(model.dModel)),
    matrix("moe.w1", [layer.experts, model.dModel, layer.expertSize], init(model.dModel)),
    matrix("moe.w2", [layer.experts, layer.expertSize, model.dModel], init(layer.expertSize, true)),
  ],
  flopsPerToken: (layer, model) => 2 * model.dModel * layer.experts + expertsPerToken(layer) * 2 * 2 * model.dModel * layer.expertSize,
  // A token reads its norm, the router and the experts it visits.
  activeParams: (layer, _params, model) => {
    const norm = model.norm === "layernorm" ? 2 * model.dModel : model.dModel;
    return norm + model.dModel * layer.experts + expertsPerToken(layer) * 2 * model.dModel * layer.expertSize;
  },
  // Input, norm, router probabilities; per expert a token visits: hidden ×2, output.
  activationFloats: (layer, model) => 2 * model.dModel + layer.experts + expertsPerToken(layer) * (2 * layer.expertSize + model.dModel),
  role: "ffn",
  picture: (layer, model) => {
    const routing = layer.routing === "token_choice"
      ? `token choice · top-${layer.topk} · capacity ${formatNumber(layer.capacity)}`
      : `expert choice · group ${layer.group} · capacity ${formatNumber(layer.capacity)}`;
    return { lines: [{ text: `${layer.experts} experts × (${model.dModel} → ${layer.expertSize} → ${model.dModel}) · ${layer.activation}` }, { text: routing }] };
  },
  style: { fill: "#ffeff7" },
};
