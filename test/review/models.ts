// Hand-made checked models (the IR the checker produces) for the review tests,
// so they test the review tools alone: mot_paper and dense_paper exactly as
// specs/mot_paper.mot elaborates them (LANGUAGE.md defaults filled in).
import type { ModelIR, Recipe, Sublayer } from "../../src/ir/model.js";

export const paperRecipe: Recipe = {
  steps: 250_000,
  batch: 256,
  context: 256,
  lr: 2e-3,
  warmup: 2500,
  schedule: { kind: "cosine", final: 0.1 },
  optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
  clip: 1,
  seed: 0,
  evalEvery: 12_500,
  checkpointEvery: 12_500,
};

function paperBlocks(ffn: (index: number) => Sublayer): Sublayer[] {
  const layers: Sublayer[] = [];
  for (let block = 0; block < 4; block++) {
    layers.push({ kind: "attention", init: { kind: "normal", std: 0.02 }, index: 2 * block, heads: 4, headDim: 64, causal: true, bias: false });
    layers.push(ffn(2 * block + 1));
  }
  return layers;
}

export const motPaper: ModelIR = {
  name: "mot_paper",
  vocab: 50257,
  context: 256,
  dModel: 256,
  dFF: 1024,
  norm: "layernorm",
  normEps: 1e-5,
  dropout: 0,
  init: { kind: "normal", std: 0.02 },
  position: "learned",
  sublayers: paperBlocks((index) => ({
    kind: "mot", init: { kind: "fan_in", scale: 1 }, index, experts: 512, group: 32, expertSize: 64, temp: { kind: "learnable", init: 1 }, activation: "relu",
  })),
  tiedHead: true,
  recipe: paperRecipe,
};

export const densePaper: ModelIR = {
  ...motPaper,
  name: "dense_paper",
  parent: "mot_paper",
  sublayers: paperBlocks((index) => ({ kind: "ff", init: { kind: "normal", std: 0.02 }, index, size: 1024, activation: "relu" })),
};

/** One of every layer kind and option, small: rmsnorm, untied head, sinusoidal positions. */
export const everyKind: ModelIR = {
  name: "every_kind",
  vocab: 64,
  context: 16,
  dModel: 32,
  dFF: 64,
  norm: "rmsnorm",
  normEps: 1e-5,
  dropout: 0.1,
  init: { kind: "normal", std: 0.02 },
  position: "sinusoidal",
  sublayers: [
    { kind: "attention", init: { kind: "normal", std: 0.02 }, index: 0, heads: 4, headDim: 8, causal: true, bias: true },
    { kind: "ff", init: { kind: "normal", std: 0.02 }, index: 1, size: 48, activation: "gelu" },
    { kind: "mot", init: { kind: "fan_in", scale: 1 }, index: 2, experts: 8, group: 4, expertSize: 32, temp: { kind: "fixed", value: 2 }, activation: "relu" },
    { kind: "moe", init: { kind: "fan_in", scale: 1 }, index: 3, experts: 4, routing: "token_choice", topk: 2, capacity: 1.25, expertSize: 64, activation: "relu", auxLoss: 0.01 },
    { kind: "moe", init: { kind: "fan_in", scale: 1 }, index: 4, experts: 4, routing: "expert_choice", topk: 1, capacity: 2, group: 8, expertSize: 32, activation: "gelu" },
  ],
  tiedHead: false,
};
