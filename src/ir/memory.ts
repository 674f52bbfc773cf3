// Training memory, estimated (float32 throughout, AdamW):
//   weights     4 B × P
//   gradients   4 B × P
//   AdamW m, v  8 B × P
//   activations 4 B × batch × context × A, where A counts the floats per token
//               that the backward pass keeps, per part:
//     embed      d                                   (the embedding sum)
//     attention  6·d + 2·heads·T                      (input, norm, q, k, v, mixed; scores and probabilities)
//     ff         2·d + 2·size                         (input, norm; hidden before and after the activation)
//     mot        2·d + 2·E + (2·E·d + 2·E·f) / G      (input, norm; logits and mix weights; per group of G
//                                                     tokens: E mixed tokens, expert hidden ×2, E outputs)
//     moe        2·d + E + a·(2·f + d)               (input, norm, router probabilities; per expert a token
//                                                     visits (a = topk, or E·k/G for expert choice): hidden ×2, output)
//     head       2·d + 2·vocab                       (input, norm; logits and softmax)
// Norm statistics, dropout masks and framework workspace are left out: it is a
// lower bound meant for comparing models, not for sizing a GPU to the byte.
import type { ModelIR, Sublayer } from "./model.js";

export interface TrainingMemory {
  batch: number;
  context: number;
  /** Floats kept per token for the backward pass (A above). */
  activationFloatsPerToken: number;
  bytes: { weights: number; gradients: number; optimizer: number; activations: number; total: number };
}

const FLOAT = 4;

export function trainingMemory(model: ModelIR, params: number, batch: number, context: number): TrainingMemory {
  const d = model.dModel;
  let floats = d + 2 * d + 2 * model.vocab; // embed, head
  for (const layer of model.sublayers) floats += sublayerActivationFloats(layer, d, context);
  const weights = FLOAT * params;
  const activations = Math.ceil(FLOAT * batch * context * floats);
  const bytes = { weights, gradients: weights, optimizer: 2 * weights, activations, total: 4 * weights + activations };
  return { batch, context, activationFloatsPerToken: floats, bytes };
}

export function sublayerActivationFloats(layer: Sublayer, d: number, context: number): number {
  switch (layer.kind) {
    case "attention":
      return 6 * d + 2 * layer.heads * context;
    case "ff":
      return 2 * d + 2 * layer.size;
    case "mot":
      return 2 * d + 2 * layer.experts + (2 * layer.experts * d + 2 * layer.experts * layer.expertSize) / layer.group;
    case "moe": {
      const group = layer.group ?? 1;
      const perToken = layer.routing === "token_choice"
        ? layer.topk
        : (layer.experts * Math.ceil((layer.capacity * group) / layer.experts)) / group;
      return 2 * d + layer.experts + perToken * (2 * layer.expertSize + d);
    }
  }
}
