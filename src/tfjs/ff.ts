// Feed-forward sublayer (SEMANTICS.md, "ff"): act(h @ w1 + b1) @ w2 + b2.
import type { FeedForwardLayer } from "../ir/layers/ff.js";
import type { Lowering, Tensor } from "./ops.js";

/** `h [N, d]` (batch and positions flattened) → `[N, d]`. */
export function lower(low: Lowering, layer: FeedForwardLayer, h: Tensor): Tensor {
  const { tf, ops } = low;
  const p = (name: string) => low.param(`layers.${layer.index}.ff.${name}`);
  const hidden = ops.activation(layer.activation, tf.add(ops.matmul(h, p("w1")), p("b1")));
  return tf.add(ops.matmul(hidden, p("w2")), p("b2"));
}
