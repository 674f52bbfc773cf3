// SEMANTICS.md "moe", in plain float64 loops, written from the text alone (it
// imports nothing from src/onnx or src/tfjs). motc's conventions where the text
// leaves a choice (they are the lowerings' documented conventions too):
// - token_choice picks each token's `topk` largest p[e] (ties: lower expert index).
//   Training only: an expert takes at most ceil(capacity · N · topk / E) tokens of
//   the N = B·T tokens of the batch, first come first served in flattened token
//   order n = b·T + t (a token's own choices in rank order); the rest skip it.
//   Auxiliary loss: aux_loss · E · Σ_e frac_e · mean_p_e with frac_e = the share of
//   the N·topk (token, choice) assignments, before any drop, that go to e.
// - expert_choice: k = ceil(capacity · G / E) from the full group size G; a
//   leftover group of r < G rows gives each expert min(k, r) rows. Ties in p[·, e]:
//   the lower row first. Same in training and inference, no auxiliary loss.
import type { MixtureOfExpertsLayer } from "../../src/ir/layers/moe.js";
import { act, softmax } from "./forward.js"; // a cycle, but only functions cross it, called after both load

type Lookup = (name: string) => Float32Array;

export interface MoeShape {
  batch: number;
  length: number;
  d: number;
}

/** `training` turns on the capacity limit; each layer's auxiliary loss term is pushed to `auxLosses`. */
export interface MoeMode {
  training: boolean;
  auxLosses?: number[];
}

export function mixtureOfExperts(w: Lookup, layer: MixtureOfExpertsLayer, h: Float64Array, shape: MoeShape, mode: MoeMode = { training: false }): Float64Array {
  const p = (name: string) => w(`layers.${layer.index}.moe.${name}`);
  const { batch, length, d } = shape;
  const E = layer.experts;
  const f = layer.expertSize;
  const router = p("router");
  const w1 = p("w1");
  const w2 = p("w2");
  const N = batch * length;
  const token = (n: number) => h.subarray(n * d, (n + 1) * d);
  // p[n] = softmax over experts of h[n] @ router
  const probs = Array.from({ length: N }, (_, n) => softmax(matVec(token(n), d, router, E)));
  const out = new Float64Array(N * d);
  const addExpert = (n: number, e: number) => {
    const hidden = matVec(token(n), d, w1, f, e * d * f).map((v) => act(layer.activation, v));
    const y = matVec(hidden, f, w2, d, e * f * d);
    for (let c = 0; c < d; c++) out[n * d + c] += probs[n][e] * y[c];
  };

  if (layer.routing === "token_choice") {
    const capacity = Math.ceil((layer.capacity * N * layer.topk) / E);
    const load = new Array<number>(E).fill(0);
    const assigned = new Array<number>(E).fill(0);
    for (let n = 0; n < N; n++) {
      const ranked = [...probs[n].keys()].sort((a, b) => probs[n][b] - probs[n][a] || a - b).slice(0, layer.topk);
      for (const e of ranked) {
        assigned[e]++;
        if (mode.training && load[e] >= capacity) continue; // dropped: this expert is full
        load[e]++;
        addExpert(n, e);
      }
    }
    if (mode.training && mode.auxLosses) {
      let sum = 0;
      for (let e = 0; e < E; e++) {
        const frac = assigned[e] / (N * layer.topk);
        const meanP = probs.reduce((s, row) => s + row[e], 0) / N;
        sum += frac * meanP;
      }
      mode.auxLosses.push(layer.auxLoss * E * sum);
    }
    return out;
  }

  const group = layer.group!;
  const k = Math.ceil((layer.capacity * group) / E);
  for (let t = 0; t < length; t++) {
    for (let start = 0; start < batch; start += group) {
      const members: number[] = [];
      for (let b = start; b < Math.min(batch, start + group); b++) members.push(b * length + t);
      for (let e = 0; e < E; e++) {
        const taken = [...members].sort((a, b) => probs[b][e] - probs[a][e] || a - b).slice(0, Math.min(k, members.length));
        for (const n of taken) addExpert(n, e);
      }
    }
  }
  return out;
}

/** x [inSize] @ W [inSize, outSize] stored row-major at `offset`. */
function matVec(x: Float64Array, inSize: number, weight: Float32Array, outSize: number, offset = 0): Float64Array {
  const y = new Float64Array(outSize);
  for (let i = 0; i < inSize; i++) for (let o = 0; o < outSize; o++) y[o] += x[i] * weight[offset + i * outSize + o];
  return y;
}
