// Norms (SEMANTICS.md, "Norms"): layernorm and rmsnorm over the last axis.
// Each norm is one custom gradient (ops.ts, withGradient): the textbook backward
// in ~10 ops instead of autograd's ~30 through the forward's ~9.
import type { ModelIR } from "../ir/model.js";
import { sumRows, withGradient, type Lowering, type Tensor } from "./ops.js";

/** Normalises `x [N, d]` with the parameters under `prefix` (`layers.i.norm`, `head.norm`). */
export function norm(low: Lowering, model: ModelIR, prefix: string, x: Tensor): Tensor {
  const scale = low.param(`${prefix}.scale`);
  if (model.norm === "rmsnorm") return rmsNorm(low, model.normEps)(x, scale);
  return layerNorm(low, model.normEps)(x, scale, low.param(`${prefix}.bias`));
}

/**
 * y = x̂·scale + bias, x̂ = (x − μ)·r, r = 1/√(var + eps) (biased var, as SEMANTICS.md).
 * With g = dy·scale: dx = r·(g − mean(g) − x̂·mean(g·x̂)), dscale = Σ dy·x̂, dbias = Σ dy.
 */
function layerNorm(low: Lowering, eps: number) {
  const { tf } = low;
  return withGradient<Tensor>(tf, 3, ([x, scale, bias], save) => {
    const axis = x.rank - 1;
    const centred = tf.sub(x, tf.mean(x, axis, true));
    const variance = tf.mean(tf.square(centred), axis, true);
    const inverse = tf.rsqrt(tf.add(variance, eps));
    const normalised = tf.mul(centred, inverse);
    save([normalised, inverse, scale]);
    return {
      value: tf.add(tf.mul(normalised, scale), bias),
      gradFunc: (dy, [xHat, r, s]) => {
        const g = tf.mul(dy, s);
        const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, axis, true)), tf.mul(xHat, tf.mean(tf.mul(g, xHat), axis, true))), r);
        return [dx, sumRows(tf, flatRows(low, tf.mul(dy, xHat))), sumRows(tf, flatRows(low, dy))];
      },
    };
  });
}

/** y = x̂·scale, x̂ = x·r, r = 1/√(mean(x²) + eps); dx = r·(g − x̂·mean(g·x̂)), dscale = Σ dy·x̂. */
function rmsNorm(low: Lowering, eps: number) {
  const { tf } = low;
  return withGradient<Tensor>(tf, 2, ([x, scale], save) => {
    const axis = x.rank - 1;
    const inverse = tf.rsqrt(tf.add(tf.mean(tf.square(x), axis, true), eps));
    const normalised = tf.mul(x, inverse);
    save([normalised, inverse, scale]);
    return {
      value: tf.mul(normalised, scale),
      gradFunc: (dy, [xHat, r, s]) => {
        const g = tf.mul(dy, s);
        const dx = tf.mul(tf.sub(g, tf.mul(xHat, tf.mean(tf.mul(g, xHat), axis, true))), r);
        return [dx, sumRows(tf, flatRows(low, tf.mul(dy, xHat)))];
      },
    };
  });
}

/** `[..., d]` → `[rows, d]`. */
function flatRows(low: Lowering, x: Tensor): Tensor {
  const d = x.shape[x.rank - 1]!;
  return low.tf.reshape(x, [x.size / d, d]);
}
