// Norms (SEMANTICS.md, "Norms"): layernorm and rmsnorm over the last axis.
import type { ModelIR } from "../ir/model.js";
import type { Lowering, Tensor } from "./ops.js";

/** Normalises `x [..., d]` with the parameters under `prefix` (`layers.i.norm`, `head.norm`). */
export function norm(low: Lowering, model: ModelIR, prefix: string, x: Tensor): Tensor {
  const { tf } = low;
  const axis = x.rank - 1;
  const scale = low.param(`${prefix}.scale`);
  if (model.norm === "rmsnorm") {
    const meanSquare = tf.mean(tf.square(x), axis, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, model.normEps))), scale);
  }
  const centred = tf.sub(x, tf.mean(x, axis, true));
  const variance = tf.mean(tf.square(centred), axis, true); // biased, as in SEMANTICS.md
  const normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, model.normEps)));
  return tf.add(tf.mul(normalised, scale), low.param(`${prefix}.bias`));
}
