// A very small model for training tests, built as checked IR so these tests do
// not depend on the parser: the model of test/fixtures/train/small.mot (its
// recipe here runs 40 steps by default, where the file's CLI runs take 12).
import type { ModelIR, Recipe } from "../../src/ir/model.js";

export function smallRecipe(overrides: Partial<Recipe> = {}): Recipe {
  return {
    steps: 40,
    batch: 8,
    context: 16,
    lr: 1e-2,
    warmup: 4,
    schedule: { kind: "cosine", final: 0.1 },
    optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
    clip: 1.0,
    seed: 0,
    evalEvery: 10,
    checkpointEvery: 10,
    ...overrides,
  };
}

/** vocab 256, d 16, context 16, one block: attention + MoT (4 experts, group 2, learnable τ). */
export function smallModel(recipe: Recipe = smallRecipe()): ModelIR {
  return {
    name: "small",
    vocab: 256,
    context: 16,
    dModel: 16,
    dFF: 64,
    norm: "layernorm",
    normEps: 1e-5,
    dropout: 0,
    init: { kind: "normal", std: 0.02 },
    position: "learned",
    sublayers: [
      { kind: "attention", init: { kind: "normal", std: 0.02 }, index: 0, heads: 2, headDim: 8, causal: true, bias: false },
      { kind: "mot", init: { kind: "fan_in", scale: 1 }, index: 1, experts: 4, group: 2, expertSize: 32, temp: { kind: "learnable", init: 1 }, activation: "relu" },
    ],
    tiedHead: true,
    recipe,
  };
}
