// Mixture of Tokens (SEMANTICS.md, "mot"), for any batch size B.
//
// Groups are G consecutive batch rows at one position. The batch is padded to a
// multiple of G with rows whose controller logits are MASKED, so they get zero
// weight in the softmax over the group and the last group holds the B mod G real
// rows — the same result as SEMANTICS.md's leftover group, with no branching.
//
// Layout, with k = groups, N = k·T mixed tokens per expert:
//   h [Bp, T, d] → [k, T, G, d];  w = softmax over G of logits/τ, [k, G, T, E]
//   mix:    m [k, T, E, d] = w [k, T, E, G] @ h [k, T, G, d]
//   expert: y [E, N, d] = act(m [E, N, d] @ w1 [E, d, f]) @ w2 [E, f, d]   (E batched GEMMs)
//   emit:   out [k, T, G, d] = w [k, T, G, E] @ y [k, T, E, d]   (same weights, not renormalised)
import type { MixtureOfTokensLayer } from "../ir/model.js";
import { MASKED, type Lowering } from "./context.js";
import { activate } from "./ff.js";

export function lowerMixtureOfTokens(ctx: Lowering, h: string, layer: MixtureOfTokensLayer): string {
  const b = ctx.b;
  const p = (name: string) => ctx.param(`layers.${layer.index}.mot.${name}`);
  const d = ctx.model.dModel;
  const { group, experts } = layer;

  const batch = b.dim(h, 0);
  const length = b.dim(h, 1);
  const groups = b.node("Div", [b.add(batch, b.int64(group - 1)), b.int64(group)]);
  const padRows = b.node("Sub", [b.mul(groups, b.int64(group)), batch]);
  const pads = b.shape([0, 0, 0, padRows, 0, 0]);

  // Mixing weights: softmax over the rows of each group, per position and expert.
  const logits = b.node("Div", [b.matmul(h, p("controller")), temperature(ctx, layer)]);
  const paddedLogits = b.node("Pad", [logits, pads, b.float32(MASKED)]);
  const byGroup = b.reshape(paddedLogits, b.shape([groups, group, length, experts]));
  const weights = b.node("Softmax", [byGroup], { axis: 1 }); // [k, G, T, E]

  const padded = b.node("Pad", [h, pads]);
  const tokens = b.transpose(b.reshape(padded, b.shape([groups, group, length, d])), [0, 2, 1, 3]); // [k, T, G, d]
  const mixed = b.matmul(b.transpose(weights, [0, 2, 3, 1]), tokens); // [k, T, E, d]

  const perExpert = b.reshape(b.transpose(mixed, [2, 0, 1, 3]), [experts, -1, d]); // [E, N, d]
  const hidden = activate(b, b.matmul(perExpert, p("w1")), layer.activation);
  const expertOut = b.matmul(hidden, p("w2")); // [E, N, d]
  const byPosition = b.transpose(b.reshape(expertOut, b.shape([experts, groups, length, d])), [1, 2, 0, 3]); // [k, T, E, d]

  const emitted = b.matmul(b.transpose(weights, [0, 2, 1, 3]), byPosition); // [k, T, G, d]
  const rows = b.reshape(b.transpose(emitted, [0, 2, 1, 3]), b.shape([-1, length, d])); // [Bp, T, d]
  return b.node("Slice", [rows, b.int64([0]), b.node("Unsqueeze", [batch, b.int64([0])]), b.int64([0])]);
}

/** τ: the constant, or exp(log_temp) from the initializer. */
function temperature(ctx: Lowering, layer: MixtureOfTokensLayer): string {
  if (layer.temp.kind === "fixed") return ctx.b.float32(layer.temp.value);
  return ctx.b.node("Exp", [ctx.param(`layers.${layer.index}.mot.log_temp`)]);
}
