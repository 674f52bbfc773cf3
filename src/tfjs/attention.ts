// Multi-head attention (SEMANTICS.md, "attention"):
// softmax(q kᵀ / sqrt(dh) + mask) v per head, heads concatenated, then @ wo.
import type { AttentionLayer } from "../ir/model.js";
import type { Lowering, Tensor } from "./ops.js";

/** Masked-out scores: exp underflows to exactly 0 after the row max is subtracted. */
const MASKED = -1e9;

/** `h [B·T, d]` → `[B·T, d]`. */
export function attention(low: Lowering, layer: AttentionLayer, h: Tensor, batch: number, length: number): Tensor {
  const { tf, ops } = low;
  const p = (name: string) => low.param(`layers.${layer.index}.attn.${name}`);
  const { heads, headDim } = layer;
  const d = heads * headDim;
  // Head h owns channels h*dh … (h+1)*dh-1: [B·T, d] → [B, heads, T, dh].
  // wasm's batched matmul is slowest with a transposed operand: kᵀ is made explicitly.
  const project = (w: string, b: string, perm: number[]): Tensor => {
    const flat = layer.bias ? tf.add(ops.matmul(h, p(w)), p(b)) : ops.matmul(h, p(w));
    return tf.transpose(tf.reshape(flat, [batch, length, heads, headDim]), perm);
  };
  const q = tf.mul(project("wq", "bq", [0, 2, 1, 3]), 1 / Math.sqrt(headDim)); // [B, heads, T, dh]
  const keysT = project("wk", "bk", [0, 2, 3, 1]); // [B, heads, dh, T]
  const v = project("wv", "bv", [0, 2, 1, 3]);
  let scores = tf.matMul(q, keysT); // [B, heads, T, T]
  if (layer.causal) scores = tf.add(scores, causalMask(low, length));
  const mixed = tf.matMul(tf.softmax(scores), v); // [B, heads, T, dh]
  const concatenated = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch * length, d]);
  const out = ops.matmul(concatenated, p("wo"));
  return layer.bias ? tf.add(out, p("bo")) : out;
}

/** `[T, T]`: 0 where key ≤ query, MASKED after the query's position. */
function causalMask(low: Lowering, length: number): Tensor {
  const mask = new Float32Array(length * length);
  for (let query = 0; query < length; query++) {
    for (let key = query + 1; key < length; key++) mask[query * length + key] = MASKED;
  }
  return low.tf.tensor2d(mask, [length, length]);
}
