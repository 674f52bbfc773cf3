// Sparse Mixture of Experts (SEMANTICS.md, "moe"), inference form: no token is
// ever dropped (capacity limits are a training-time device, see src/tfjs/moe.ts).
//
// Sparse for real: each expert runs only on the tokens routed to it. Per expert e
// the graph selects its tokens (Compress), gathers them, runs
// act(h @ w1[e]) @ w2[e], scales each by its router probability p[n, e] and adds it
// back into its row (ScatterND, reduction "add"). Tokens are the N = B·T rows of h.
//
// token_choice: p [N, E] = softmax(h @ router); TopK(topk) over experts (ties:
//   the lower expert index, ONNX TopK's rule); expert e takes every token that has
//   e among its topk.
// expert_choice: the batch is padded to whole groups of G (as in mot.ts); padded
//   rows get p = -1 so they rank below every real row. Per group and position,
//   TopK(k) over the group's rows, k = ceil(capacity · G / E) (ties: the lower
//   row); picks that land on padding are discarded, so a leftover group of r < G
//   rows gives each expert min(k, r) rows.
import type { ExpertChoiceLayer, MixtureOfExpertsLayer, TokenChoiceLayer } from "../ir/layers/moe.js";
import { rowsPerExpert } from "../ir/layers/moe.js";
import { DataType, type GraphBuilder } from "./builder.js";
import type { Lowering } from "./context.js";
import { activate } from "./ff.js";

/** The rows expert e runs on: token indices [n_e] into the [N, d] rows, and their p[n, e] [n_e]. */
interface Route {
  rows: string;
  gates: string;
}

export function lower(ctx: Lowering, h: string, layer: MixtureOfExpertsLayer): string {
  const b = ctx.b;
  const d = ctx.model.dModel;
  const router = ctx.param(`layers.${layer.index}.moe.router`);
  const tokens = b.reshape(h, [-1, d]); // [N, d], n = b·T + t
  const probs = b.node("Softmax", [b.matmul(tokens, router)], { axis: -1 }); // [N, E]
  const routes = layer.routing === "token_choice" ? tokenChoice(b, probs, layer) : expertChoice(b, h, probs, layer);

  let out = b.node("ConstantOfShape", [b.node("Shape", [tokens])], { value: { tensor: { dims: [1], dataType: DataType.FLOAT, floatData: [0] } } });
  routes.forEach((route, e) => {
    out = b.scoped(`layers.${layer.index}.moe.expert${e}`, () => {
      const picked = b.node("Gather", [tokens, route.rows], { axis: 0 }); // [n_e, d]
      const y = runExpert(ctx, picked, layer, e);
      const weighted = b.mul(y, b.node("Unsqueeze", [route.gates, b.int64([1])]));
      return b.node("ScatterND", [out, b.node("Unsqueeze", [route.rows, b.int64([1])]), weighted], { reduction: "add" });
    });
  });
  return b.reshape(out, b.node("Shape", [h]));
}

/** act(x @ w1[e]) @ w2[e] on the expert's own rows only. */
function runExpert(ctx: Lowering, x: string, layer: MixtureOfExpertsLayer, expert: number): string {
  const b = ctx.b;
  const slice = (name: string) => b.node("Gather", [ctx.param(`layers.${layer.index}.moe.${name}`), b.int64(expert)], { axis: 0 });
  return b.matmul(activate(b, b.matmul(x, slice("w1")), layer.activation), slice("w2"));
}

/** Expert e takes every token whose topk choices include e; no capacity at inference. */
function tokenChoice(b: GraphBuilder, probs: string, layer: TokenChoiceLayer): Route[] {
  const [, choices] = b.nodeOutputs("TopK", [probs, b.int64([layer.topk])], 2, { axis: -1, largest: 1, sorted: 1 }); // [N, topk]
  const allRows = b.node("Range", [b.int64(0), b.dim(probs, 0), b.int64(1)]);
  return Array.from({ length: layer.experts }, (_, e) => {
    const chosen = b.node("Cast", [b.node("Equal", [choices, b.int64(e)])], { to: DataType.FLOAT });
    const takes = b.node("Cast", [b.reduceMax(chosen, [1], false)], { to: DataType.BOOL }); // [N]
    const column = b.node("Gather", [probs, b.int64(e)], { axis: 1 }); // p[:, e]
    return { rows: b.node("Compress", [allRows, takes], { axis: 0 }), gates: b.node("Compress", [column, takes], { axis: 0 }) };
  });
}

/** Per group of G rows at one position, expert e takes the k rows with the highest p[·, e]. */
function expertChoice(b: GraphBuilder, h: string, probs: string, layer: ExpertChoiceLayer): Route[] {
  const { group, experts } = layer;
  const k = rowsPerExpert(layer);
  const batch = b.dim(h, 0);
  const length = b.dim(h, 1);
  const groups = b.node("Div", [b.add(batch, b.int64(group - 1)), b.int64(group)]);
  const padRows = b.node("Sub", [b.mul(groups, b.int64(group)), batch]);

  const byRow = b.reshape(probs, b.shape([batch, length, experts]));
  const padded = b.node("Pad", [byRow, b.shape([0, 0, 0, padRows, 0, 0]), b.float32(-1)]); // padding ranks last
  const byGroup = b.transpose(b.reshape(padded, b.shape([groups, group, length, experts])), [0, 2, 3, 1]); // [k, T, E, G]
  const [gates, members] = b.nodeOutputs("TopK", [byGroup, b.int64([k])], 2, { axis: -1, largest: 1, sorted: 1 }); // [groups, T, E, k]

  // Token index n = (g·G + j)·T + t of member j of group g at position t.
  const groupStart = b.reshape(b.mul(b.node("Range", [b.int64(0), groups, b.int64(1)]), b.int64(group)), [-1, 1, 1, 1]);
  const position = b.reshape(b.node("Range", [b.int64(0), length, b.int64(1)]), [1, -1, 1, 1]);
  const tokenIndex = b.add(b.mul(b.add(groupStart, members), length), position);
  const real = b.node("Greater", [gates, b.float32(-0.5)]); // false on padding rows

  return Array.from({ length: experts }, (_, e) => {
    const pick = (x: string) => b.reshape(b.node("Gather", [x, b.int64(e)], { axis: 2 }), [-1]);
    const keep = pick(real);
    return { rows: b.node("Compress", [pick(tokenIndex), keep], { axis: 0 }), gates: b.node("Compress", [pick(gates), keep], { axis: 0 }) };
  });
}
