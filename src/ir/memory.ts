// Training memory, estimated (float32 throughout, AdamW):
//   weights     4 B × P
//   gradients   4 B × P
//   AdamW m, v  8 B × P
//   activations 4 B × batch × context × A, where A counts the floats per token
//               that the backward pass keeps: d for the embedding sum, 2·d + 2·vocab
//               for the head (input, norm; logits and softmax), and for each
//               sublayer its kind's `activationFloats` (src/ir/layers/*.ts).
// Norm statistics, dropout masks and framework workspace are left out: it is a
// lower bound meant for comparing models, not for sizing a GPU to the byte.
import { kindOf } from "./layers/index.js";
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
  for (const layer of model.sublayers) floats += sublayerActivationFloats(layer, model, context, batch);
  const weights = FLOAT * params;
  const activations = Math.ceil(FLOAT * batch * context * floats);
  const bytes = { weights, gradients: weights, optimizer: 2 * weights, activations, total: 4 * weights + activations };
  return { batch, context, activationFloatsPerToken: floats, bytes };
}

export function sublayerActivationFloats(layer: Sublayer, model: ModelIR, context: number, batch: number): number {
  return kindOf(layer).activationFloats(layer, model, context, batch);
}

/** 342_884_352 → "327.0 MiB": how motc prints a memory figure. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
