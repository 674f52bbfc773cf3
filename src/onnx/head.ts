// Head (SEMANTICS.md, "Head"): logits = head_norm(x) @ Eᵀ when tied, else @ head.unembed.
import type { Lowering } from "./context.js";
import { lowerNorm } from "./norm.js";

/** Writes the graph output `logits` [B, T, vocab]. */
export function lowerHead(ctx: Lowering, x: string, output: string): string {
  const b = ctx.b;
  return b.scoped("head", () => {
    const normed = lowerNorm(ctx, x, "head.norm");
    const unembed = ctx.model.tiedHead ? b.transpose(ctx.param("embed.token"), [1, 0]) : ctx.param("head.unembed");
    return b.node("MatMul", [normed, unembed], {}, output);
  });
}
