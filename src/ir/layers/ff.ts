// `ff(size, activation)` — the dense position-wise feed-forward network
// (SEMANTICS.md, "ff"): act(h @ w1 + b1) @ w2 + b2, `layers.i.ff.{w1 [d,s], b1 [s], w2 [s,d], b2 [d]}`.
import type { Activation } from "../model.js";
import { bias, matrix, type SublayerBase, type SublayerKind } from "./kind.js";

export interface FeedForwardLayer extends SublayerBase {
  kind: "ff";
  size: number;
  activation: Activation;
}

export const ff: SublayerKind<FeedForwardLayer> = {
  kind: "ff",
  title: "dense feed-forward",
  args: {
    size: { type: "int", default: ({ dFF }) => dFF, range: { positive: true } },
    activation: { type: "choice", options: ["relu", "gelu"], default: "relu" },
    init: { type: "init" },
  },
  build: (args) => ({ kind: "ff", size: args.size as number, activation: args.activation as Activation }),
  describe: (layer) => ({ size: layer.size, activation: layer.activation }),
  paramPrefix: "ff",
  params: (layer, model, init) => {
    const d = model.dModel;
    return [matrix("ff.w1", [d, layer.size], init(d)), bias("ff.b1", layer.size), matrix("ff.w2", [layer.size, d], init(layer.size, true)), bias("ff.b2", d)];
  },
  flopsPerToken: (layer, model) => 2 * 2 * model.dModel * layer.size,
  // Input, norm; the hidden layer before and after the activation.
  activationFloats: (layer, model) => 2 * model.dModel + 2 * layer.size,
  role: "ffn",
  picture: (layer, model) => ({ lines: [{ text: `${model.dModel} → ${layer.size} → ${model.dModel} · ${layer.activation}` }] }),
  style: { fill: "#dafbe1" },
};
