// A small model with two gated feed-forward layers (SEMANTICS.md, "glu") of
// different widths, for the ONNX and tfjs tests of the kind.
import type { ModelIR } from "../../src/ir/model.js";
import type { GluActivation } from "../../src/ir/layers/glu.js";

export function gluModel(activation: GluActivation): ModelIR {
  return {
    name: `glu_${activation}`, vocab: 23, context: 8, dModel: 12, dFF: 48, norm: "rmsnorm", normEps: 1e-5, dropout: 0, init: { kind: "normal", std: 0.02 }, position: "learned", tiedHead: false,
    sublayers: [
      { kind: "attention", init: { kind: "normal", std: 0.02 }, index: 0, heads: 3, headDim: 4, causal: true, bias: false },
      { kind: "glu", init: { kind: "normal", std: 0.02 }, index: 1, size: 20, activation },
      { kind: "glu", init: { kind: "normal", std: 0.02 }, index: 2, size: 9, activation },
    ],
  };
}
