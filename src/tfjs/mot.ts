// Mixture of Tokens (SEMANTICS.md, "mot"). At each position the batch rows are
// cut into groups of G; each expert mixes its group's tokens with softmax
// weights taken over the group, transforms the mixed token, and hands the result
// back to every row of the group with the same weights.
//
// The layer is one custom gradient (ops.ts, withGradient) with its backward
// written out below: autograd recorded ~40 ops here and differentiated every
// batched matmul through two fresh transposes, while the weights W are already
// at hand in both layouts ([cells, E, G] and [cells, G, E]).
import type { MixtureOfTokensLayer } from "../ir/model.js";
import { transpose2d, withGradient, type Lowering, type Tensor, type Tensor2D } from "./ops.js";

/** Logit of a padding row: its softmax weight is exactly 0. */
const PADDING = -1e9;

/** `h [B·T, d]` → `[B·T, d]`. */
export function mixtureOfTokens(low: Lowering, layer: MixtureOfTokensLayer, h: Tensor, batch: number, length: number): Tensor {
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
 */
function motLayer(low: Lowering, layer: MixtureOfTokensLayer, batch: number, length: number, fixedInverse: number | undefined) {
  const { tf, ops } = low;
  const { experts, group } = layer;
  const groups = Math.ceil(batch / group);
  const padded = groups * group; // the leftover group is padded with zero-weight rows
  const cells = groups * length; // one (group, position) cell mixes `group` tokens

  // Row b = k·G + j of [padded, T, c] at position t is member j of cell (k, t).
  // byMember lays the rows out [group, cells, c] (member j of every cell together); byRow undoes [cells, group, c].
  const byMember = (x: Tensor, c: number) => tf.reshape(tf.transpose(tf.reshape(x, [groups, group, length, c]), [1, 0, 2, 3]), [group, cells, c]);
  const byRow = (x: Tensor, c: number) => {
    const rows = tf.reshape(tf.transpose(tf.reshape(x, [groups, length, group, c]), [0, 2, 1, 3]), [padded, length, c]);
    return tf.reshape(padded === batch ? rows : tf.slice(rows, [0, 0, 0], [batch, length, c]), [batch * length, c]);
  };

  return withGradient<Tensor>(tf, fixedInverse === undefined ? 5 : 4, ([h, controller, w1, w2, logTemp], save) => {
    const d = h.shape[1]!;
    const inverse = fixedInverse ?? tf.exp(tf.neg(logTemp));
    // 2–3. logits[b,t,e] = h @ controller / τ, softmax over the rows of b's group.
    const logits = tf.mul(tf.reshape(tf.matMul(h as Tensor2D, controller as Tensor2D), [batch, length, experts]), inverse);
    const paddedLogits = padRows(low, logits, padded, PADDING);
    // [padded, T, E] → [groups, group, T, E] → [groups, T, E, group]: softmax over the last axis.
    const mixWeights = tf.softmax(tf.transpose(tf.reshape(paddedLogits, [groups, group, length, experts]), [0, 2, 3, 1]));
    // Wᵀ [cells, group, E] for step 6's matmul.
    const emitWeights = tf.reshape(tf.transpose(mixWeights, [0, 1, 3, 2]), [cells, group, experts]);
    // The same weights member-major, [group, E, cells]: column j holds w[member j of k, ·, e].
    const weightsByMember = tf.reshape(tf.transpose(mixWeights, [3, 2, 0, 1]), [group, experts, cells]);
    const tokensByMember = byMember(padRows(low, tf.reshape(h, [batch, length, d]), padded, 0), d); // H [group, cells, d]

    // 4. m[k,t,e] = Σ_b w[b,t,e] h[b,t], straight into the expert-major X [E, cells, d] of
    // step 5 as G broadcast products: a group of 4 is far too short a sum for a matmul
    // (wasm runs [cells, E, G] @ [cells, G, d] in its scalar loop, ~3× slower).
    const mixed = memberSum(low, weightsByMember, tokensByMember); // X [E, cells, d]
    // 5. y[k,t,e] = act(m @ w1[e]) @ w2[e]: one batched matmul over the experts, which
    // motc's wasm kernel runs as one XNNPACK product per expert (kernels.ts).
    const preActivation = tf.matMul(mixed, w1); // Z [E, cells, f]
    const hidden = ops.activation(layer.activation, preActivation); // A
    const expertOut = tf.matMul(hidden, w2); // Y [E, cells, d]
    // 6. out[b,t] = Σ_e w[b,t,e] y[k(b),t,e]: Wᵀ @ Y → [cells, group, d], back to rows.
    const out = byRow(tf.matMul(emitWeights, tf.transpose(expertOut, [1, 0, 2])), d);

    save([h, controller, w1, w2, emitWeights, weightsByMember, tokensByMember, mixed, preActivation, hidden, expertOut, logits, ...(logTemp ? [inverse as Tensor] : [])]);
    return {
      value: out,
      gradFunc: (dy, saved) => {
        const [hS, controllerS, w1S, w2S, Wt, WG, HG, X, Z, A, Y, logitsS, inverseS] = saved;
        const dOut = byMember(padRows(low, tf.reshape(dy, [batch, length, d]), padded, 0), d); // [group, cells, d]
        // 6. out = Wᵀ Y: dY = W dOut as G broadcast products (as in step 4).
        const dY = memberSum(low, WG, dOut); // [E, cells, d]
        // 5. per expert: Y = A w2, A = act(Z), Z = X w1.
        const dA = tf.matMul(dY, tf.transpose(w2S, [0, 2, 1]));
        const dw2 = tf.matMul(tf.transpose(A, [0, 2, 1]), dY);
        const dZ = ops.activationGrad(layer.activation, Z, dA);
        const dX = tf.matMul(dZ, tf.transpose(w1S, [0, 2, 1])); // [E, cells, d]
        const dw1 = tf.matMul(tf.transpose(X, [0, 2, 1]), dZ);
        // 4. X = W H: dH = Wᵀ dX (a sum over E: a matmul).
        const dTokens = byRow(tf.matMul(Wt, tf.transpose(dX, [1, 0, 2])), d);
        // Both paths' weight gradient, member-major [group, E, cells]: a sum over d per member,
        // dw[j] = Σ_c dX ⊙ h[j] (step 4) + Y ⊙ dOut[j] (step 6).
        const tokens = tf.split(HG, group, 0);
        const dOuts = tf.split(dOut, group, 0);
        const dW = tf.stack(tokens.map((hj, j) => tf.sum(tf.add(tf.mul(dX, hj), tf.mul(Y, dOuts[j])), 2)));
        // Softmax over the group (axis 0 here): dlogit = w ⊙ (dw − Σ_group dw ⊙ w); padding rows are constants.
        const dSoftmax = tf.mul(WG, tf.sub(dW, tf.sum(tf.mul(dW, WG), 0, true)));
        // [group, E, groups, T] → [groups, group, T, E] = [padded, T, E] → [B·T, E] of the scaled logits.
        const dPadded = tf.reshape(tf.transpose(tf.reshape(dSoftmax, [group, experts, groups, length]), [2, 0, 3, 1]), [padded, length, experts]);
        const dLogits = tf.reshape(padded === batch ? dPadded : tf.slice(dPadded, [0, 0, 0], [batch, length, experts]), [batch * length, experts]);
        const dRaw = tf.mul(dLogits, inverseS ?? (fixedInverse as number));
        const dController = tf.matMul(transpose2d(tf, hS as Tensor2D), dRaw as Tensor2D);
        const dh = tf.add(dTokens, tf.matMul(dRaw as Tensor2D, transpose2d(tf, controllerS as Tensor2D)));
        const grads = [dh, dController, dw1, dw2];
        // logits = raw · exp(-log_temp): d/dlog_temp = −Σ dlogits ⊙ logits.
        if (logTemp) grads.push(tf.reshape(tf.neg(tf.sum(tf.mul(dLogits, tf.reshape(logitsS, [batch * length, experts])))), logTemp.shape));
        return grads;
      },
    };
  });
}

/** Σ_j w[j] ⊙ x[j] for w `[group, E, cells]`, x `[group, cells, d]` → `[E, cells, d]`. */
function memberSum(low: Lowering, w: Tensor, x: Tensor): Tensor {
  const { tf } = low;
  const [group, experts, cells] = w.shape as [number, number, number];
  const weights = tf.split(w, group, 0);
  const rows = tf.split(x, group, 0);
  return tf.addN(weights.map((wj, j) => tf.mul(tf.reshape(wj, [experts, cells, 1]), rows[j])));
}

/** Appends rows filled with `value` along axis 0 up to `rows`. */
function padRows(low: Lowering, x: Tensor, rows: number, value: number): Tensor {
  const missing = rows - x.shape[0]!;
  if (missing === 0) return x;
  return low.tf.concat([x, low.tf.fill([missing, ...x.shape.slice(1)], value)], 0);
}
