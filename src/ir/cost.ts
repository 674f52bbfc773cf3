// Parameters and FLOPs per token, by the conventions of SEMANTICS.md:
// a multiply-add is 2 FLOPs; norms, softmaxes and activations are not counted
// (they are O(d) next to the O(d²) matrix products); attention's score and
// mixing products are counted at the full `context` (4·T·d per token).
import type { ModelIR, Sublayer } from "./model.js";
import { kindOf } from "./layers/index.js";
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
  return kindOf(layer).flopsPerToken(layer, model);
}

function activeParams(layer: Sublayer, params: number, model: ModelIR): number {
  return kindOf(layer).activeParams?.(layer, params, model) ?? params;
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
