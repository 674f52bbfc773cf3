// Norms (SEMANTICS.md, "Norms"), over the last axis of [B, T, d]:
//   layernorm: (x - mean) / sqrt(var + eps) * scale + bias   (opset 17's LayerNormalization)
//   rmsnorm:   x / sqrt(mean(x²) + eps) * scale               (composed from primitives)
import { float } from "./builder.js";
import type { Lowering } from "./context.js";

/** `prefix` is `layers.i.norm` or `head.norm`. */
export function lowerNorm(ctx: Lowering, x: string, prefix: string): string {
  const b = ctx.b;
  const scale = ctx.param(`${prefix}.scale`);
  if (ctx.model.norm === "layernorm") {
    const bias = ctx.param(`${prefix}.bias`);
    return b.node("LayerNormalization", [x, scale, bias], { axis: -1, epsilon: float(ctx.model.normEps) });
  }
  const meanSquare = b.reduceMean(b.mul(x, x), [-1]);
  const rms = b.node("Sqrt", [b.add(meanSquare, b.float32(ctx.model.normEps))]);
  return b.mul(b.node("Div", [x, rms]), scale);
}
