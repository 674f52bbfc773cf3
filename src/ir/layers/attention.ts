// `attention(heads, causal, bias)` — multi-head self-attention (SEMANTICS.md, "attention").
// Parameters `layers.i.attn.{wq,wk,wv,wo}` [d, d] and, with `bias`, `{bq,bk,bv,bo}` [d].
// `heads` must divide d_model: the checker's entry for attention (src/check/layers.ts) says so.
import { bias, matrix, type SublayerBase, type SublayerKind } from "./kind.js";

export interface AttentionLayer extends SublayerBase {
  kind: "attention";
  heads: number;
  /** d_model / heads */
  headDim: number;
  causal: boolean;
  bias: boolean;
}

export const attention: SublayerKind<AttentionLayer> = {
  kind: "attention",
  title: "multi-head self-attention",
  args: {
    heads: { type: "int", range: { positive: true } },
    causal: { type: "bool", default: true },
    bias: { type: "bool", default: false },
    init: { type: "init" },
  },
  build: (args, { dModel }) => {
    const heads = args.heads as number;
    return { kind: "attention", heads, headDim: dModel / heads, causal: args.causal as boolean, bias: args.bias as boolean };
  },
  describe: (layer) => ({ heads: layer.heads, causal: layer.causal, bias: layer.bias }),
  paramPrefix: "attn",
  params: (layer, model, init) => {
    const d = model.dModel;
    const weights = [matrix("attn.wq", [d, d], init(d)), matrix("attn.wk", [d, d], init(d)), matrix("attn.wv", [d, d], init(d)), matrix("attn.wo", [d, d], init(d, true))];
    const biases = layer.bias ? [bias("attn.bq", d), bias("attn.bk", d), bias("attn.bv", d), bias("attn.bo", d)] : [];
    return [...weights, ...biases];
  },
  // Four d×d projections, plus the score and mixing products counted at the full context.
  flopsPerToken: (_layer, model) => 2 * 4 * model.dModel * model.dModel + 4 * model.context * model.dModel,
  // Input, norm, q, k, v, mixed; scores and probabilities.
  activationFloats: (layer, model, context) => 6 * model.dModel + 2 * layer.heads * context,
  role: "attention",
  picture: (layer, model) => ({
    lines: [
      { text: `${layer.heads} heads × ${layer.headDim} · ${layer.causal ? "causal" : "not causal"}${layer.bias ? " · biases" : ""}` },
      { text: `wq wk wv wo [${model.dModel}, ${model.dModel}]` },
    ],
  }),
  style: { fill: "#ddf4ff" },
};
