// Embedding (SEMANTICS.md, "Embedding"): x = E[ids] + P[0:T].
import type { ModelIR } from "../ir/model.js";
import type { Lowering, Tensor } from "./ops.js";

/** `ids [B, T]` int32 → the residual stream `[B, T, d]`. */
export function embed(low: Lowering, model: ModelIR, ids: Tensor): Tensor {
  const { tf } = low;
  const [batch, length] = ids.shape as [number, number];
  const d = model.dModel;
  const tokens = tf.reshape(tf.gather(low.param("embed.token"), tf.reshape(ids, [batch * length])), [batch, length, d]);
  switch (model.position) {
    case "none":
      return tokens;
    case "learned":
      return tf.add(tokens, tf.slice(low.param("embed.position"), [0, 0], [length, d]));
    case "sinusoidal":
      return tf.add(tokens, tf.tensor2d(sinusoidalTable(length, d), [length, d]));
  }
}

/** P[t, 2i] = sin(t / 10000^(2i/d)), P[t, 2i+1] = cos(t / 10000^(2i/d)). */
export function sinusoidalTable(length: number, d: number): Float32Array {
  const table = new Float32Array(length * d);
  for (let t = 0; t < length; t++) {
    for (let i = 0; 2 * i < d; i++) {
      const angle = t / Math.pow(10000, (2 * i) / d);
      table[t * d + 2 * i] = Math.sin(angle);
      if (2 * i + 1 < d) table[t * d + 2 * i + 1] = Math.cos(angle);
    }
  }
  return table;
}
