// `glu(size, activation)` — the gated feed-forward network of LLaMA and PaLM
// (SwiGLU with `silu`, GeGLU with `gelu`; Shazeer 2020, "GLU Variants Improve
// Transformer"). SEMANTICS.md, "glu":
//   (act(h @ w_gate) * (h @ w_up)) @ w_down
// with `layers.i.glu.w_gate [d, s]`, `w_up [d, s]`, `w_down [s, d]` and no biases.
import { matrix, type SublayerBase, type SublayerKind } from "./kind.js";

export type GluActivation = "silu" | "gelu";

export interface GatedFeedForwardLayer extends SublayerBase {
  kind: "glu";
  size: number;
  activation: GluActivation;
}

export const glu: SublayerKind<GatedFeedForwardLayer> = {
  kind: "glu",
  title: "gated feed-forward (SwiGLU / GeGLU)",
  args: {
    size: { type: "int", default: ({ dFF }) => dFF, range: { positive: true } },
    activation: { type: "choice", options: ["silu", "gelu"], default: "silu" },
    init: { type: "init" },
  },
  build: (args) => ({ kind: "glu", size: args.size as number, activation: args.activation as GluActivation }),
  describe: (layer) => ({ size: layer.size, activation: layer.activation }),
  paramPrefix: "glu",
  params: (layer, model, init) => {
    const d = model.dModel;
    return [matrix("glu.w_gate", [d, layer.size], init(d)), matrix("glu.w_up", [d, layer.size], init(d)), matrix("glu.w_down", [layer.size, d], init(layer.size, true))];
  },
  // Three d×s products.
  flopsPerToken: (layer, model) => 6 * model.dModel * layer.size,
  // Input, norm; the gate before and after the activation, the up projection, their product.
  activationFloats: (layer, model) => 2 * model.dModel + 4 * layer.size,
  role: "ffn",
  picture: (layer, model) => ({
    lines: [
      { text: `${layer.activation}(h @ w_gate) ⊙ (h @ w_up) @ w_down` },
      { text: `${model.dModel} → 2 × ${layer.size} → ${model.dModel}` },
    ],
  }),
  style: { fill: "#c8f0d0" },
};
