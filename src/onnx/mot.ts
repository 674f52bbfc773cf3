// Mixture of Tokens (SEMANTICS.md, "mot"), for any batch size B.
//
// Groups are G consecutive batch rows at one position. The batch is padded to a
// multiple of G with zero rows whose controller logits are MASKED, so they get zero
// weight in the softmax over the group and the last group holds the B mod G real
// rows — the same result as SEMANTICS.md's leftover group, with no branching.
//
// Layout, with k = groups, N = k·T mixed tokens per expert:
//   h [Bp, T, d] → [k, T, G, d];  w = softmax over G of logits/τ, [k, T, E, G]
//   mix:    m [k, T, E, d] = w [k, T, E, G] @ h [k, T, G, d]
//   expert: y [E, N, d] = act(m [E, N, d] @ w1 [E, d, f]) @ w2 [E, f, d]   (E batched GEMMs;
//           m [N, E, d] is read as [E, N, d] by a strided-batch FusedMatMul, no copy)
//   emit:   out [k, T, G, d] = wᵀ [k, T, G, E] @ y [k, T, E, d]   (same weights, not renormalised)
import type { MixtureOfTokensLayer } from "../ir/layers/mot.js";
import { BATCH, DataType, SEQUENCE } from "./builder.js";
import { MASKED, groupDims, type Lowering } from "./context.js";
import { activate } from "./ff.js";

export function lower(ctx: Lowering, h: string, layer: MixtureOfTokensLayer): string {
  const b = ctx.b;
  const p = (name: string) => ctx.param(`layers.${layer.index}.mot.${name}`);
  const d = ctx.model.dModel;
  const { group, experts } = layer;
  const dims = groupDims(group);

  // The batch's sizes, its padding to whole groups and the shapes built from them are the same in
  // every layer with this G: computed once (Lowering.shared).
  const length = ctx.sequenceLength();
  const { groups, padding } = ctx.grouping(group);
  const groupShape = ctx.shared(`groups_of_${group}_shape_${d}`, () => b.shape([groups, group, length, d]));
  const padded = b.shaped(b.node("Pad", [h, padding]), [dims.rows, SEQUENCE, d]);
  const byGroup = b.shaped(b.reshape(padded, groupShape), [dims.groups, group, SEQUENCE, d]); // [k, G, T, d]
  const tokens = b.transpose(byGroup, [0, 2, 1, 3]); // [k, T, G, d]

  // Mixing weights: softmax over the rows of each group, per position and expert.
  // The logits are made as [k, T, E, G] (controllerᵀ/τ @ tokensᵀ) so the softmax
  // runs over the last axis, onnxruntime's fast path; padding rows get MASKED.
  const scaledController = b.transpose(b.node("Div", [p("controller"), temperature(ctx, layer)]), [1, 0]); // [E, d]
  const logits = b.matmul(scaledController, b.transpose(byGroup, [0, 2, 3, 1])); // [k, T, E, G]
  const masked = b.add(logits, ctx.shared(`groups_of_${group}_mask`, () => paddingMask(ctx, group)));
  const weights = layer.mixing === "hard" ? hardWeights(ctx, masked, group) : b.node("Softmax", [masked], { axis: -1 });
  const mixed = b.matmul(weights, tokens); // [k, T, E, d]

  // The N·E·d tensors are never transposed in memory: a Transpose feeding a MatMul
  // becomes one FusedMatMul that reads the batch strided (transBatchA/B). The
  // experts read the mixed tokens [N, E, d] as [E, N, d]; the emit reads y
  // [E, N, d] as [k, T, E, d].
  const byExpert = b.shaped(b.reshape(mixed, [-1, experts, d]), [dims.tokens, experts, d]); // [N, E, d]
  const hidden = activate(b, b.matmul(b.transpose(byExpert, [1, 0, 2]), p("w1")), layer.activation); // [E, N, f]
  const expertOut = b.matmul(hidden, p("w2")); // [E, N, d]
  const expertShape = ctx.shared(`groups_of_${group}_experts_${experts}_shape_${d}`, () => b.shape([experts, groups, length, d]));
  const unflattened = b.shaped(b.reshape(expertOut, expertShape), [experts, dims.groups, SEQUENCE, d]);
  const byPosition = b.transpose(unflattened, [1, 2, 0, 3]); // [k, T, E, d]
  const emitted = b.matmul(b.transpose(weights, [0, 1, 3, 2]), byPosition); // [k, T, G, d]
  const rowShape = ctx.shared(`rows_shape_${d}`, () => b.shape([-1, length, d]));
  const rows = b.shaped(b.reshape(b.transpose(emitted, [0, 2, 1, 3]), rowShape), [dims.rows, SEQUENCE, d]); // [Bp, T, d]
  const batchEnd = ctx.shared("batch_size_1d", () => b.node("Unsqueeze", [ctx.batchSize(), b.int64([0])]));
  return b.shaped(b.node("Slice", [rows, b.int64([0]), batchEnd, b.int64([0])]), [BATCH, SEQUENCE, d]);
}

/** [k, 1, 1, G]: 0 for the batch's rows, MASKED for the rows that pad it to a multiple of G. */
function paddingMask(ctx: Lowering, group: number): string {
  const b = ctx.b;
  const dims = groupDims(group);
  const rows = b.shaped(b.node("Range", [b.int64(0), ctx.grouping(group).paddedBatch, b.int64(1)]), [dims.rows], DataType.INT64);
  const mask = b.shaped(b.node("Where", [b.node("Less", [rows, ctx.batchSize()]), b.float32(0), b.float32(MASKED)]), [dims.rows]);
  return b.shaped(b.reshape(mask, [-1, 1, 1, group]), [dims.groups, 1, 1, group]);
}

/**
 * The τ → 0 limit of the group softmax (`motc compile --no-mix=hard`, src/ir/nomix.ts):
 * [k, T, E, G] one-hot at the highest logit of each group (the first on a tie), as float.
 */
function hardWeights(ctx: Lowering, logits: string, group: number): string {
  const b = ctx.b;
  const best = b.node("ArgMax", [logits], { axis: -1, keepdims: 1 }); // [k, T, E, 1]
  const rows = b.node("Range", [b.int64(0), b.int64(group), b.int64(1)]); // [G]
  return b.node("Cast", [b.node("Equal", [best, rows])], { to: DataType.FLOAT });
}

/** τ: the constant, or exp(log_temp) from the initializer. */
function temperature(ctx: Lowering, layer: MixtureOfTokensLayer): string {
  if (layer.temp.kind === "fixed") return ctx.b.float32(layer.temp.value);
  return ctx.b.node("Exp", [ctx.param(`layers.${layer.index}.mot.log_temp`)]);
}
