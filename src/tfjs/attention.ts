// Multi-head attention (SEMANTICS.md, "attention"):
// softmax(q kᵀ / sqrt(dh) + mask) v per head, heads concatenated, then @ wo.
//
// The layer is one custom gradient (ops.ts, withGradient) with its backward
// written out: one tape entry instead of ~25, and no transposes beyond the
// ones the head layout needs.
import type { AttentionLayer } from "../ir/layers/attention.js";
import { sumRows, withGradient, type Lowering, type SublayerCall, type Tensor, type Tensor2D } from "./ops.js";

/** Masked-out scores: exp underflows to exactly 0 after the row max is subtracted. */
const MASKED = -1e9;

/** `h [B·T, d]` → `[B·T, d]`. */
export function lower(low: Lowering, layer: AttentionLayer, h: Tensor, { batch, length }: SublayerCall): Tensor {
  const p = (name: string) => low.param(`layers.${layer.index}.attn.${name}`);
  const weights = [p("wq"), p("wk"), p("wv"), p("wo")];
  const biases = layer.bias ? [p("bq"), p("bk"), p("bv"), p("bo")] : [];
  return attentionLayer(low, layer, batch, length)(h, ...weights, ...biases);
}

/** The layer as a function of (h, wq, wk, wv, wo[, bq, bk, bv, bo]). */
function attentionLayer(low: Lowering, layer: AttentionLayer, batch: number, length: number) {
  const { tf } = low;
  const { heads, headDim } = layer;
  const d = heads * headDim;
  const rows = batch * length;
  const scale = 1 / Math.sqrt(headDim);
  const mask = layer.causal ? causalMask(low, length) : undefined;
  // Head h owns channels h*dh … (h+1)*dh-1: [B·T, d] ↔ [B, T, heads, dh], then permuted.
  const split = (flat: Tensor, perm: number[]) => tf.transpose(tf.reshape(flat, [batch, length, heads, headDim]), perm);
  const merge = (x: Tensor, perm: number[]) => tf.reshape(tf.transpose(x, perm), [rows, d]);
  const mm = (a: Tensor, b: Tensor) => tf.matMul(a as Tensor2D, b as Tensor2D);

  return withGradient<Tensor>(tf, layer.bias ? 9 : 5, ([h, wq, wk, wv, wo, bq, bk, bv, bo], save) => {
    const project = (w: Tensor, b: Tensor | undefined) => (b ? tf.add(mm(h, w), b) : mm(h, w));
    // wasm's batched matmul is slowest with a transposed operand: kᵀ is made explicitly.
    const q = tf.mul(split(project(wq, bq), [0, 2, 1, 3]), scale); // [B, heads, T, dh], already / sqrt(dh)
    const keysT = split(project(wk, bk), [0, 2, 3, 1]); // [B, heads, dh, T]
    const v = split(project(wv, bv), [0, 2, 1, 3]); // [B, heads, T, dh]
    let scores = tf.matMul(q, keysT); // [B, heads, T, T]
    if (mask) scores = tf.add(scores, mask);
    const probs = tf.softmax(scores);
    const concatenated = merge(tf.matMul(probs, v), [0, 2, 1, 3]); // [B·T, d]
    const out = bo ? tf.add(mm(concatenated, wo), bo) : mm(concatenated, wo);
    save([h, wq, wk, wv, wo, q, keysT, v, probs, concatenated]);
    return {
      value: out,
      gradFunc: (dy, saved) => {
        const [hS, wqS, wkS, wvS, woS, qS, keysTS, vS, P, concatS] = saved;
        const t = (x: Tensor) => tf.transpose(x, [0, 1, 3, 2]);
        // out = concat · wo (+ bo)
        const dConcat = mm(dy, tf.transpose(woS as Tensor2D));
        const dwo = tf.matMul(concatS as Tensor2D, dy as Tensor2D, true);
        const dMixed = split(dConcat, [0, 2, 1, 3]); // [B, heads, T, dh]
        // mixed = P v: dP = dMixed vᵀ, dv = Pᵀ dMixed; softmax: dS = P ⊙ (dP − Σ dP ⊙ P).
        const dP = tf.matMul(dMixed, t(vS));
        const dv = tf.matMul(P, dMixed, true);
        const dScores = tf.mul(P, tf.sub(dP, tf.sum(tf.mul(dP, P), 3, true)));
        // scores = q kᵀ with q already scaled: dq = dS k · scale, dkᵀ = qᵀ dS.
        const dq = merge(tf.mul(tf.matMul(dScores, t(keysTS)), scale), [0, 2, 1, 3]);
        const dk = merge(tf.matMul(qS, dScores, true), [0, 3, 1, 2]);
        const dvFlat = merge(dv, [0, 2, 1, 3]);
        // Each projection x = h · w (+ b): dw = hᵀ dx, dh = Σ dx wᵀ.
        const weightGrad = (dx: Tensor) => tf.matMul(hS as Tensor2D, dx as Tensor2D, true); // hᵀ dx
        const dh = tf.addN([
          mm(dq, tf.transpose(wqS as Tensor2D)),
          mm(dk, tf.transpose(wkS as Tensor2D)),
          mm(dvFlat, tf.transpose(wvS as Tensor2D)),
        ]);
        const grads = [dh, weightGrad(dq), weightGrad(dk), weightGrad(dvFlat), dwo];
        if (layer.bias) grads.push(sumRows(tf, dq), sumRows(tf, dk), sumRows(tf, dvFlat), sumRows(tf, dy));
        return grads;
      },
    };
  });
}

/** `[T, T]`: 0 where key ≤ query, MASKED after the query's position. */
function causalMask(low: Lowering, length: number): Tensor {
  const mask = new Float32Array(length * length);
  for (let query = 0; query < length; query++) {
    for (let key = query + 1; key < length; key++) mask[query * length + key] = MASKED;
  }
  return low.tf.tensor2d(mask, [length, length]);
}
