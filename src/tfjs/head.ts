// Head (SEMANTICS.md, "Head"): logits = head_norm(x) @ Eᵀ (tied) or @ head.unembed.
import type { ModelIR } from "../ir/model.js";
import { norm } from "./norm.js";
import type { Lowering, Tensor } from "./ops.js";

/** `x [N, d]` → logits `[N, vocab]`. */
export function head(low: Lowering, model: ModelIR, x: Tensor): Tensor {
  const { tf, ops } = low;
  const h = norm(low, model, "head.norm", x);
  const unembed = model.tiedHead ? tf.transpose(low.param("embed.token")) : low.param("head.unembed");
  return ops.matmul(h, unembed);
}
