// Multi-head attention (SEMANTICS.md, "attention"), composed from MatMul and
// Softmax so every runtime runs it:
//   heads split the channels in order (head h owns h*dh … (h+1)*dh-1);
//   softmax(q kᵀ / sqrt(dh) + mask) v, heads concatenated, then @ wo.
// With a KV cache the new keys and values are appended to
// `past_key_values.{n}.key|value` [B, heads, past, dh] and returned as `present.{n}.*`.
import type { AttentionLayer } from "../ir/layers/attention.js";
import type { Lowering } from "./context.js";

export function lower(ctx: Lowering, h: string, layer: AttentionLayer): string {
  const b = ctx.b;
  const p = (name: string) => ctx.param(`layers.${layer.index}.attn.${name}`);
  const d = ctx.model.dModel;
  const project = (weight: string, bias: string) => {
    const y = b.matmul(h, p(weight));
    return layer.bias ? b.add(y, p(bias)) : y;
  };
  // [B, T, d] → [B, heads, T, dh]
  const splitHeads = (y: string) => b.transpose(b.reshape(y, [0, 0, layer.heads, layer.headDim]), [0, 2, 1, 3]);

  // Scaling q rather than the scores costs T·d multiplies instead of heads·T·S.
  const query = b.mul(splitHeads(project("wq", "bq")), b.float32(1 / Math.sqrt(layer.headDim)));
  let key = splitHeads(project("wk", "bk"));
  let value = splitHeads(project("wv", "bv"));
  if (ctx.kvCache) {
    const n = ctx.takeCacheIndex();
    key = b.node("Concat", [`past_key_values.${n}.key`, key], { axis: 2 }, `present.${n}.key`);
    value = b.node("Concat", [`past_key_values.${n}.value`, value], { axis: 2 }, `present.${n}.value`);
  }
  let scores = b.matmul(query, b.transpose(key, [0, 1, 3, 2])); // [B, heads, T, S]
  if (layer.causal) scores = b.add(scores, ctx.causalMask());
  const mixed = b.matmul(b.node("Softmax", [scores], { axis: -1 }), value); // [B, heads, T, dh]
  const joined = b.reshape(b.transpose(mixed, [0, 2, 1, 3]), [0, 0, d]);
  const out = b.matmul(joined, p("wo"));
  return layer.bias ? b.add(out, p("bo")) : out;
}
