// Sparse Mixture of Experts (SEMANTICS.md, "moe"), training form.
//
// The router probabilities p [N, E] = softmax(h @ router) are read back to
// decide, in plain JS, which tokens each expert takes (routing is a discrete
// choice: no gradient flows through it). Each expert then runs only on its
// gathered rows, each output is scaled by its p[n, e] (gathered, so the router
// gets a gradient), and the results are gathered back into token order.
// Tokens are the N = B·T rows of h, n = b·T + t.
//
// Conventions where SEMANTICS.md leaves a choice (test/reference/moe.ts has the same):
// - token_choice: each token's `topk` largest p[e] (ties: the lower expert index).
//   In training an expert takes at most ceil(capacity · N · topk / E) tokens,
//   first come first served in token order n (a token's choices in rank order);
//   the rest skip it. Order n puts earlier positions of a sequence first, so no
//   token is dropped because of a later one in its own sequence. At inference
//   (`training` false) nothing is dropped.
//   Auxiliary loss: aux_loss · E · Σ_e frac_e · mean_p_e, frac_e = the share of the
//   N·topk (token, choice) assignments that go to e, counted before any drop.
// - expert_choice: at each position, groups of G consecutive batch rows (as in mot);
//   expert e takes the k = ceil(capacity · G / E) rows of the group with the highest
//   p[·, e] (ties: the lower row); a leftover group of r < G rows gives min(k, r).
//   The same in training and inference.
import type { MixtureOfExpertsLayer } from "../ir/layers/moe.js";
import { rowsPerExpert } from "../ir/layers/moe.js";
import type { Lowering, SublayerCall, Tensor } from "./ops.js";

/** Which tokens each expert takes, and how many (token, choice) assignments it drew. */
export interface Routing {
  /** rows[e]: token indices n that expert e runs on, ascending. */
  rows: number[][];
  /** assigned[e]: token_choice assignments to e before capacity (frac_e numerator). */
  assigned: number[];
}

/**
 * `h [B·T, d]` → `[B·T, d]`. In training, the auxiliary loss term (token_choice
 * with aux_loss > 0) is pushed to `auxLosses` for the caller to add to the loss.
 */
export function lower(low: Lowering, layer: MixtureOfExpertsLayer, h: Tensor, { batch, length, training, auxLosses }: SublayerCall): Tensor {
  const { tf, ops } = low;
  const experts = layer.experts;
  const tokens = batch * length;
  const probs = tf.softmax(ops.matmul(h, low.param(`layers.${layer.index}.moe.router`))); // [N, E]
  const values = probs.dataSync() as Float32Array;
  const routing = layer.routing === "token_choice"
    ? tokenChoiceRouting(values, experts, layer.topk, training ? layer.capacity : undefined)
    : expertChoiceRouting(values, experts, batch, length, layer.group, layer.capacity);

  const out = runExperts(low, layer, h, probs, routing);
  if (training && layer.routing === "token_choice" && layer.auxLoss > 0) {
    const frac = tf.tensor1d(routing.assigned.map((count) => count / (tokens * layer.topk)));
    const meanP = tf.mean(probs, 0);
    auxLosses.push(tf.mul(tf.sum(tf.mul(frac, meanP)), layer.auxLoss * experts));
  }
  return out;
}

/**
 * Runs expert e on its rows only, scales each output by p[n, e] and gathers the
 * results back into token order: out[n] = Σ over the experts that took n.
 */
function runExperts(low: Lowering, layer: MixtureOfExpertsLayer, h: Tensor, probs: Tensor, routing: Routing): Tensor {
  const { tf, ops } = low;
  const [tokens, d] = h.shape as [number, number];
  const experts = layer.experts;
  const w1 = tf.unstack(low.param(`layers.${layer.index}.moe.w1`));
  const w2 = tf.unstack(low.param(`layers.${layer.index}.moe.w2`));
  const flatProbs = tf.reshape(probs, [tokens * experts]);

  // The weighted outputs, stacked expert after expert, then one zero row.
  const parts: Tensor[] = [];
  const slots: number[][] = Array.from({ length: tokens }, () => []); // token n → its rows in `stacked`
  let row = 0;
  routing.rows.forEach((rows, e) => {
    if (rows.length === 0) return;
    const picked = tf.gather(h, tf.tensor1d(rows, "int32"));
    const y = ops.matmul(ops.activation(layer.activation, ops.matmul(picked, w1[e])), w2[e]);
    const gates = tf.gather(flatProbs, tf.tensor1d(rows.map((n) => n * experts + e), "int32"));
    parts.push(tf.mul(y, tf.reshape(gates, [rows.length, 1])));
    for (const n of rows) slots[n].push(row++);
  });
  const zeroRow = row;
  parts.push(tf.zeros([1, d]));
  const stacked = tf.concat(parts, 0);

  // Gather rather than scatter: tfjs differentiates gather (its gradient is a segment sum).
  const depth = slots.reduce((most, list) => Math.max(most, list.length), 1);
  let out = tf.gather(stacked, tf.tensor1d(slots.map((list) => list[0] ?? zeroRow), "int32"));
  for (let s = 1; s < depth; s++) {
    out = tf.add(out, tf.gather(stacked, tf.tensor1d(slots.map((list) => list[s] ?? zeroRow), "int32")));
  }
  return out;
}

/** token_choice: top-k experts per token; with `capacity`, first come first served in token order. */
export function tokenChoiceRouting(probs: ArrayLike<number>, experts: number, topk: number, capacity?: number): Routing {
  const tokens = probs.length / experts;
  const limit = capacity === undefined ? Infinity : Math.ceil((capacity * tokens * topk) / experts);
  const rows: number[][] = Array.from({ length: experts }, () => []);
  const assigned = new Array<number>(experts).fill(0);
  for (let n = 0; n < tokens; n++) {
    for (const e of largest(experts, topk, (e) => probs[n * experts + e])) {
      assigned[e]++;
      if (rows[e].length < limit) rows[e].push(n);
    }
  }
  return { rows, assigned };
}

/** Indices of the `k` largest of value(0 … count-1), largest first (ties: the lower index). */
function largest(count: number, k: number, value: (i: number) => number): number[] {
  const chosen: number[] = [];
  while (chosen.length < Math.min(k, count)) {
    let best = -1;
    for (let i = 0; i < count; i++) {
      if (!chosen.includes(i) && (best < 0 || value(i) > value(best))) best = i;
    }
    chosen.push(best);
  }
  return chosen;
}

/** expert_choice: per position and group of G rows, each expert takes its k best rows. */
export function expertChoiceRouting(probs: ArrayLike<number>, experts: number, batch: number, length: number, group: number, capacity: number): Routing {
  const k = rowsPerExpert({ capacity, group, experts });
  const rows: number[][] = Array.from({ length: experts }, () => []);
  for (let t = 0; t < length; t++) {
    for (let start = 0; start < batch; start += group) {
      const members: number[] = [];
      for (let b = start; b < Math.min(batch, start + group); b++) members.push(b * length + t);
      for (let e = 0; e < experts; e++) {
        for (const j of largest(members.length, k, (j) => probs[members[j] * experts + e])) rows[e].push(members[j]);
      }
    }
  }
  for (const list of rows) list.sort((a, b) => a - b);
  return { rows, assigned: new Array<number>(experts).fill(0) };
}
