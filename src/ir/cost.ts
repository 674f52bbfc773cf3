// Parameters and FLOPs per token, by the conventions of SEMANTICS.md:
// a multiply-add is 2 FLOPs; norms, softmaxes and activations are not counted
// (they are O(d) next to the O(d²) matrix products); attention's score and
// mixing products are counted at the full `context` (4·T·d per token).
import type { ModelIR, Sublayer } from "./model.js";
import { parameterTable, paramCount } from "./params.js";

export interface PartCost {
  /** "embed", "head" or `layers.i` */
  name: string;
  kind: "embed" | "head" | Sublayer["kind"];
  params: number;
  /** Parameters one token's forward pass reads (all of them for MoT: mixing is continuous). */
  activeParams: number;
  flopsPerToken: number;
}

export interface ModelCost {
  parts: PartCost[];
  params: number;
  activeParams: number;
  flopsPerToken: number;
}

export function sublayerFlopsPerToken(layer: Sublayer, model: ModelIR): number {
  const d = model.dModel;
  switch (layer.kind) {
    case "attention":
      return 2 * 4 * d * d + 4 * model.context * d;
    case "ff":
      return 2 * 2 * d * layer.size;
    case "mot":
      // SEMANTICS.md: 2·E·f·2d / G for the experts plus 6·d·E for routing
      // (controller logits, mixing and emitting each cost 2·d·E).
      return (2 * layer.experts * layer.expertSize * 2 * d) / layer.group + 6 * d * layer.experts;
    case "moe": {
      const router = 2 * d * layer.experts;
      const expert = 2 * 2 * d * layer.expertSize;
      if (layer.routing === "token_choice") return router + layer.topk * expert;
      const group = layer.group ?? 1;
      const taken = Math.ceil((layer.capacity * group) / layer.experts);
      return router + (layer.experts * taken * expert) / group;
    }
  }
}

function activeParams(layer: Sublayer, params: number, model: ModelIR): number {
  if (layer.kind !== "moe") return params;
  const perExpert = 2 * model.dModel * layer.expertSize;
  const norm = model.norm === "layernorm" ? 2 * model.dModel : model.dModel;
  const router = model.dModel * layer.experts;
  return norm + router + expertsPerToken(layer) * perExpert;
}

/**
 * How many experts a token passes through on average: `topk` with token choice;
 * with expert choice each of E experts takes k = ceil(capacity·G/E) of G rows,
 * so E·k/G (the same count the FLOPs above use).
 */
function expertsPerToken(layer: Extract<Sublayer, { kind: "moe" }>): number {
  if (layer.routing === "token_choice") return layer.topk;
  const group = layer.group ?? 1;
  return (layer.experts * Math.ceil((layer.capacity * group) / layer.experts)) / group;
}

export function modelCost(model: ModelIR): ModelCost {
  const byOwner = new Map<string, number>();
  for (const spec of parameterTable(model)) {
    const owner = typeof spec.owner === "number" ? `layers.${spec.owner}` : spec.owner;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + paramCount(spec.shape));
  }
  const embed = byOwner.get("embed") ?? 0;
  const head = byOwner.get("head") ?? 0;
  // A token reads one row of embed.token (and of embed.position when learned);
  // the head reads the whole unembedding, which is embed.token itself when tied.
  const embedActive = model.dModel * (model.position === "learned" ? 2 : 1);
  const parts: PartCost[] = [{ name: "embed", kind: "embed", params: embed, activeParams: embedActive, flopsPerToken: 0 }];
  for (const layer of model.sublayers) {
    const name = `layers.${layer.index}`;
    const params = byOwner.get(name) ?? 0;
    parts.push({ name, kind: layer.kind, params, activeParams: activeParams(layer, params, model), flopsPerToken: sublayerFlopsPerToken(layer, model) });
  }
  parts.push({ name: "head", kind: "head", params: head, activeParams: head + (model.tiedHead ? model.vocab * model.dModel : 0), flopsPerToken: 2 * model.dModel * model.vocab });
  return {
    parts,
    params: parts.reduce((s, p) => s + p.params, 0),
    activeParams: parts.reduce((s, p) => s + p.activeParams, 0),
    flopsPerToken: parts.reduce((s, p) => s + p.flopsPerToken, 0),
  };
}
