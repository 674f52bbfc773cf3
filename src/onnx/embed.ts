// Embedding (SEMANTICS.md, "Embedding"): x = E[ids] + P[positions], where the
// positions continue from the KV cache's length in a decoding step.
import type { ModelIR } from "../ir/model.js";
import type { Lowering } from "./context.js";

/** Returns the residual stream x, float32 [B, T, d]. */
export function lowerEmbedding(ctx: Lowering): string {
  const b = ctx.b;
  return b.scoped("embed", () => {
    const tokens = b.node("Gather", [ctx.param("embed.token"), ctx.ids], { axis: 0 });
    switch (ctx.model.position) {
      case "none":
        return tokens;
      case "learned":
        return b.add(tokens, b.node("Gather", [ctx.param("embed.position"), ctx.positions()], { axis: 0 }));
      case "sinusoidal": {
        const table = b.float32(sinusoidalTable(ctx.model), [ctx.model.context, ctx.model.dModel]);
        return b.add(tokens, b.node("Gather", [table, ctx.positions()], { axis: 0 }));
      }
    }
  });
}

/** P[t, 2i] = sin(t / 10000^(2i/d)), P[t, 2i+1] = cos(t / 10000^(2i/d)), rounded once to float32. */
export function sinusoidalTable(model: Pick<ModelIR, "context" | "dModel">): Float32Array {
  const d = model.dModel;
  const table = new Float32Array(model.context * d);
  for (let t = 0; t < model.context; t++) {
    for (let c = 0; c < d; c++) {
      const pair = c - (c % 2);
      const angle = t / Math.pow(10000, pair / d);
      table[t * d + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}
