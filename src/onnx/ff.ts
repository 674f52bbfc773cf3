// Dense feed-forward (SEMANTICS.md, "ff"): act(h @ w1 + b1) @ w2 + b2.
import type { Activation } from "../ir/model.js";
import type { FeedForwardLayer } from "../ir/layers/ff.js";
import type { GraphBuilder } from "./builder.js";
import type { Lowering } from "./context.js";

export function lower(ctx: Lowering, h: string, layer: FeedForwardLayer): string {
  const b = ctx.b;
  const p = (name: string) => ctx.param(`layers.${layer.index}.ff.${name}`);
  const hidden = activate(b, b.add(b.matmul(h, p("w1")), p("b1")), layer.activation);
  return b.add(b.matmul(hidden, p("w2")), p("b2"));
}

/** relu, or gelu in its exact erf form: x · ½ · (1 + erf(x / √2)). */
export function activate(b: GraphBuilder, x: string, activation: Activation): string {
  if (activation === "relu") return b.node("Relu", [x]);
  const erf = b.node("Erf", [b.node("Div", [x, b.float32(Math.SQRT2)])]);
  return b.mul(b.mul(x, b.float32(0.5)), b.add(erf, b.float32(1)));
}
