// Mixture of Tokens (SEMANTICS.md, "mot"). At each position the batch rows are
// cut into groups of G; each expert mixes its group's tokens with softmax
// weights taken over the group, transforms the mixed token, and hands the result
// back to every row of the group with the same weights.
//
// The layer is one custom gradient (ops.ts, withGradient) with its backward
// written out below: autograd recorded ~40 ops here and differentiated every
// batched matmul through two fresh transposes, while the weights W are already
// at hand in both layouts ([cells, E, G] and [cells, G, E]).
import type { MixtureOfTokensLayer } from "../ir/layers/mot.js";
import { withGradient, type Lowering, type SublayerCall, type Tensor, type Tensor2D } from "./ops.js";

/** Logit of a padding row: its softmax weight is exactly 0. */
const PADDING = -1e9;

/** `h [B·T, d]` → `[B·T, d]`. */
export function lower(low: Lowering, layer: MixtureOfTokensLayer, h: Tensor, { batch, length }: SublayerCall): Tensor {
  const p = (name: string) => low.param(`layers.${layer.index}.mot.${name}`);
  const weights = [p("controller"), p("w1"), p("w2")];
  // The hard (τ → 0) form exists only as an inference lowering (compile --no-mix=hard).
  if (layer.mixing === "hard") throw new Error(`internal: layers.${layer.index} has hard mixing, which has no training graph`);
  if (layer.temp.kind === "fixed") return motLayer(low, layer, batch, length, 1 / layer.temp.value)(h, ...weights);
  return motLayer(low, layer, batch, length, undefined)(h, ...weights, p("log_temp"));
}

/**
 * The layer as a function of (h, controller, w1, w2[, log_temp]). `fixedInverse`
 * is 1/τ for a fixed temperature; without it 1/τ = exp(-log_temp), the fifth input.
 *
 * Mixing and emitting are batched matmuls over the cells, one small product per
 * cell ([E, G] @ [G, d] and [G, E] @ [E, d]): motc's wasm kernel (wasm/simd.ts) runs
 * such a batch about as fast as one big product.
 */
function motLayer(low: Lowering, layer: MixtureOfTokensLayer, batch: number, length: number, fixedInverse: number | undefined) {
  const { tf, ops } = low;
  const { experts, group } = layer;
  const groups = Math.ceil(batch / group);
  const padded = groups * group; // the leftover group is padded with zero-weight rows
  const cells = groups * length; // one (group, position) cell mixes `group` tokens

  // Row b = k·G + j of [padded, T, c] at position t is member j of cell (k, t).
  // byCell lays the rows out [cells, group, c] (a cell's members together); byRow undoes it.
  const byCell = (x: Tensor, c: number) => tf.reshape(tf.transpose(tf.reshape(x, [groups, group, length, c]), [0, 2, 1, 3]), [cells, group, c]);
  const byRow = (x: Tensor, c: number) => {
    const rows = tf.reshape(tf.transpose(tf.reshape(x, [groups, length, group, c]), [0, 2, 1, 3]), [padded, length, c]);
    return tf.reshape(padded === batch ? rows : tf.slice(rows, [0, 0, 0], [batch, length, c]), [batch * length, c]);
  };
  // [E, cells, c] (expert-major, for the experts' matmuls) ⇄ [cells, E, c] (cell-major, for mixing).
  const swap = (x: Tensor) => tf.transpose(x, [1, 0, 2]);

  return withGradient<Tensor>(tf, fixedInverse === undefined ? 5 : 4, ([h, controller, w1, w2, logTemp], save) => {
    const d = h.shape[1]!;
    const inverse = fixedInverse ?? tf.exp(tf.neg(logTemp));
    // 2–3. logits[b,t,e] = h @ controller / τ, softmax over the rows of b's group.
    const logits = tf.mul(tf.reshape(tf.matMul(h as Tensor2D, controller as Tensor2D), [batch, length, experts]), inverse);
    const paddedLogits = padRows(low, logits, padded, PADDING);
    // [padded, T, E] → [groups, group, T, E] → [groups, T, E, group]: softmax over the last axis.
    const mixWeights = tf.softmax(tf.transpose(tf.reshape(paddedLogits, [groups, group, length, experts]), [0, 2, 3, 1]));
    const weights = tf.reshape(mixWeights, [cells, experts, group]); // W [cells, E, G]
    const weightsT = tf.reshape(tf.transpose(mixWeights, [0, 1, 3, 2]), [cells, group, experts]); // Wᵀ [cells, G, E]
    const tokens = byCell(padRows(low, tf.reshape(h, [batch, length, d]), padded, 0), d); // H [cells, G, d]

    // 4. m[k,t,e] = Σ_b w[b,t,e] h[b,t]: W @ H per cell, then expert-major X [E, cells, d].
    const mixed = swap(tf.matMul(weights, tokens));
    // 5. y[k,t,e] = act(m @ w1[e]) @ w2[e]: one batched matmul over the experts.
    const preActivation = tf.matMul(mixed, w1); // Z [E, cells, f]
    const hidden = ops.activation(layer.activation, preActivation); // A
    const expertOut = tf.matMul(hidden, w2); // Y [E, cells, d]
    // 6. out[b,t] = Σ_e w[b,t,e] y[k(b),t,e]: Wᵀ @ Y per cell → [cells, G, d], back to rows.
    const out = byRow(tf.matMul(weightsT, swap(expertOut)), d);

    save([h, controller, w1, w2, weights, weightsT, tokens, mixed, preActivation, hidden, expertOut, logits, ...(logTemp ? [inverse as Tensor] : [])]);
    return {
      value: out,
      gradFunc: (dy, saved) => {
        const [hS, controllerS, w1S, w2S, W, Wt, H, X, Z, A, Y, logitsS, inverseS] = saved;
        const dOut = byCell(padRows(low, tf.reshape(dy, [batch, length, d]), padded, 0), d); // [cells, G, d]
        // 6. out = Wᵀ Y per cell: dY = W dOut.
        const dY = swap(tf.matMul(W, dOut)); // [E, cells, d]
        // 5. per expert: Y = A w2, A = act(Z), Z = X w1.
        const dA = tf.matMul(dY, tf.transpose(w2S, [0, 2, 1]));
        const dw2 = tf.matMul(A, dY, true);
        const dZ = ops.activationGrad(layer.activation, Z, dA);
        const dX = tf.matMul(dZ, tf.transpose(w1S, [0, 2, 1])); // [E, cells, d]
        const dw1 = tf.matMul(X, dZ, true);
        // 4. X = W H per cell: dH = Wᵀ dX.
        const dTokens = byRow(tf.matMul(Wt, swap(dX)), d);
        // Both paths' gradient of the weights, laid out as Wᵀ [cells, G, E]:
        // H dXᵀ (step 4) + dOut Yᵀ (step 6), with [E, cells, d] → [cells, d, E].
        const columns = (x: Tensor) => tf.transpose(x, [1, 2, 0]);
        const dWt = tf.add(tf.matMul(H, columns(dX)), tf.matMul(dOut, columns(Y)));
        // Softmax over the group (axis 1 here): dlogit = w ⊙ (dw − Σ_group dw ⊙ w); padding rows are constants.
        const dSoftmax = tf.mul(Wt, tf.sub(dWt, tf.sum(tf.mul(dWt, Wt), 1, true)));
        // [groups, T, G, E] → [groups, G, T, E] = [padded, T, E] → [B·T, E] of the scaled logits.
        const dPadded = tf.reshape(tf.transpose(tf.reshape(dSoftmax, [groups, length, group, experts]), [0, 2, 1, 3]), [padded, length, experts]);
        const dLogits = tf.reshape(padded === batch ? dPadded : tf.slice(dPadded, [0, 0, 0], [batch, length, experts]), [batch * length, experts]);
        const dRaw = tf.mul(dLogits, inverseS ?? (fixedInverse as number));
        const dController = tf.matMul(hS as Tensor2D, dRaw as Tensor2D, true);
        const dh = tf.add(dTokens, tf.matMul(dRaw as Tensor2D, tf.transpose(controllerS as Tensor2D)));
        const grads = [dh, dController, dw1, dw2];
        // logits = raw · exp(-log_temp): d/dlog_temp = −Σ dlogits ⊙ logits.
        if (logTemp) grads.push(tf.reshape(tf.neg(tf.sum(tf.mul(dLogits, tf.reshape(logitsS, [batch * length, experts])))), logTemp.shape));
        return grads;
      },
    };
  });
}

/** Appends rows filled with `value` along axis 0 up to `rows`. */
function padRows(low: Lowering, x: Tensor, rows: number, value: number): Tensor {
  const missing = rows - x.shape[0]!;
  if (missing === 0) return x;
  return low.tf.concat([x, low.tf.fill([missing, ...x.shape.slice(1)], value)], 0);
}
