// Gated feed-forward (SEMANTICS.md, "glu"): (act(h @ w_gate) * (h @ w_up)) @ w_down, no biases;
// act is silu, x · sigmoid(x), or gelu in its exact erf form.
import type { GatedFeedForwardLayer } from "../ir/layers/glu.js";
import type { Lowering } from "./context.js";
import { activate } from "./ff.js";

export function lower(ctx: Lowering, h: string, layer: GatedFeedForwardLayer): string {
  const b = ctx.b;
  const p = (name: string) => ctx.param(`layers.${layer.index}.glu.${name}`);
  const preActivation = b.matmul(h, p("w_gate"));
  const gate = layer.activation === "silu" ? b.mul(preActivation, b.node("Sigmoid", [preActivation])) : activate(b, preActivation, "gelu");
  return b.matmul(b.mul(gate, b.matmul(h, p("w_up"))), p("w_down"));
}
