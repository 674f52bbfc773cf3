// Mixture of Tokens (SEMANTICS.md, "mot"). At each position the batch rows are
// cut into groups of G; each expert mixes its group's tokens with softmax
// weights taken over the group, transforms the mixed token, and hands the result
// back to every row of the group with the same weights.
import type { MixtureOfTokensLayer } from "../ir/model.js";
import type { Lowering, Tensor } from "./ops.js";

/** Logit of a padding row: its softmax weight is exactly 0. */
const PADDING = -1e9;

/** `h [B·T, d]` → `[B·T, d]`. */
export function mixtureOfTokens(low: Lowering, layer: MixtureOfTokensLayer, h: Tensor, batch: number, length: number): Tensor {
  const { tf, ops } = low;
  const p = (name: string) => low.param(`layers.${layer.index}.mot.${name}`);
  const { experts, group } = layer;
  const d = h.shape[1]!;
  const groups = Math.ceil(batch / group);
  const padded = groups * group; // the leftover group is padded with zero-weight rows
  const cells = groups * length; // one (group, position) cell mixes `group` tokens

  // 2–3. logits[b,t,e] = h @ controller / τ, softmax over the rows of b's group.
  let logits = tf.reshape(ops.matmul(h, p("controller")), [batch, length, experts]);
  logits = tf.mul(logits, inverseTemperature(low, layer));
  const tokens = tf.reshape(h, [batch, length, d]);
  const paddedTokens = padRows(low, tokens, padded, 0);
  logits = padRows(low, logits, padded, PADDING);
  // [padded, T, E] → [groups, group, T, E] → [groups, T, E, group]: softmax over the last axis.
  const mixWeights = tf.softmax(tf.transpose(tf.reshape(logits, [groups, group, length, experts]), [0, 2, 3, 1]));
  const weightsByCell = tf.reshape(mixWeights, [cells, experts, group]);
  // The same weights laid out [cells, group, E] for step 6 (wasm's transposed matmul is slow).
  const emitWeights = tf.transpose(weightsByCell, [0, 2, 1]);
  // [padded, T, d] → [cells, group, d]
  const tokensByCell = tf.reshape(
    tf.transpose(tf.reshape(paddedTokens, [groups, group, length, d]), [0, 2, 1, 3]),
    [cells, group, d],
  );

  // 4. m[k,t,e] = Σ_b w[b,t,e] h[b,t]: [cells, E, group] @ [cells, group, d] → [cells, E, d].
  const mixed = tf.matMul(weightsByCell, tokensByCell);
  // 5. y[k,t,e] = act(m @ w1[e]) @ w2[e]: one batched matmul over the experts, which
  // motc's wasm kernel runs as one XNNPACK product per expert (kernels.ts).
  const byExpert = tf.transpose(mixed, [1, 0, 2]); // [E, cells, d]
  const hidden = ops.activation(layer.activation, tf.matMul(byExpert, p("w1"))); // [E, cells, f]
  const expertOut = tf.transpose(tf.matMul(hidden, p("w2")), [1, 0, 2]); // [cells, E, d]

  // 6. out[b,t] = Σ_e w[b,t,e] y[k(b),t,e]: [cells, group, E] @ [cells, E, d] → [cells, group, d].
  const emitted = tf.matMul(emitWeights, expertOut);
  const rows = tf.reshape(tf.transpose(tf.reshape(emitted, [groups, length, group, d]), [0, 2, 1, 3]), [padded, length, d]);
  const out = padded === batch ? rows : tf.slice(rows, [0, 0, 0], [batch, length, d]);
  return tf.reshape(out, [batch * length, d]);
}

/** 1/τ: a constant, or exp(-log_temp) when the temperature is learned. */
function inverseTemperature(low: Lowering, layer: MixtureOfTokensLayer): Tensor | number {
  if (layer.temp.kind === "fixed") return 1 / layer.temp.value;
  return low.tf.exp(low.tf.neg(low.param(`layers.${layer.index}.mot.log_temp`)));
}

/** Appends rows filled with `value` along axis 0 up to `rows`. */
function padRows(low: Lowering, x: Tensor, rows: number, value: number): Tensor {
  const missing = rows - x.shape[0]!;
  if (missing === 0) return x;
  return low.tf.concat([x, low.tf.fill([missing, ...x.shape.slice(1)], value)], 0);
}
