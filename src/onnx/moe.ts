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
import { BATCH, BATCH_TOKENS, DataType, SEQUENCE, type DataTypeCode } from "./builder.js";
import { groupDims, type Lowering } from "./context.js";
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
  const tokens = b.shaped(b.reshape(h, [-1, d]), [BATCH_TOKENS, d]); // [N, d], n = b·T + t
  const probs = b.node("Softmax", [b.matmul(tokens, router)], { axis: -1 }); // [N, E]
  const routes = layer.routing === "token_choice" ? tokenChoice(ctx, probs, layer) : expertChoice(ctx, probs, layer);

  // The rows each expert takes depend on the data, so their shapes stay unknown.
  let out = b.shaped(b.node("ConstantOfShape", [b.node("Shape", [tokens])], { value: { tensor: { dims: [1], dataType: DataType.FLOAT, floatData: [0] } } }), [BATCH_TOKENS, d]);
  routes.forEach((route, e) => {
    out = b.scoped(`layers.${layer.index}.moe.expert${e}`, () => {
      const picked = b.node("Gather", [tokens, route.rows], { axis: 0 }); // [n_e, d]
      const y = runExpert(ctx, picked, layer, e);
      const weighted = b.mul(y, b.node("Unsqueeze", [route.gates, b.int64([1])]));
      return b.node("ScatterND", [out, b.node("Unsqueeze", [route.rows, b.int64([1])]), weighted], { reduction: "add" });
    });
  });
  return b.shaped(b.reshape(out, b.node("Shape", [h])), [BATCH, SEQUENCE, d]);
}

/** act(x @ w1[e]) @ w2[e] on the expert's own rows only. */
function runExpert(ctx: Lowering, x: string, layer: MixtureOfExpertsLayer, expert: number): string {
  const b = ctx.b;
  const slice = (name: string) => b.node("Gather", [ctx.param(`layers.${layer.index}.moe.${name}`), b.int64(expert)], { axis: 0 });
  return b.matmul(activate(b, b.matmul(x, slice("w1")), layer.activation), slice("w2"));
}

/** Expert e takes every token whose topk choices include e; no capacity at inference. */
function tokenChoice(ctx: Lowering, probs: string, layer: TokenChoiceLayer): Route[] {
  const b = ctx.b;
  const [, choices] = b.nodeOutputs("TopK", [probs, b.int64([layer.topk])], 2, { axis: -1, largest: 1, sorted: 1 }); // [N, topk]
  const allRows = ctx.shared("batch_token_indices", () => b.shaped(b.node("Range", [b.int64(0), b.dim(probs, 0), b.int64(1)]), [BATCH_TOKENS], DataType.INT64));
  return Array.from({ length: layer.experts }, (_, e) => {
    const chosen = b.node("Cast", [b.node("Equal", [choices, b.int64(e)])], { to: DataType.FLOAT });
    const takes = b.node("Cast", [b.reduceMax(chosen, [1], false)], { to: DataType.BOOL }); // [N]
    const column = b.node("Gather", [probs, b.int64(e)], { axis: 1 }); // p[:, e]
    return { rows: b.node("Compress", [allRows, takes], { axis: 0 }), gates: b.node("Compress", [column, takes], { axis: 0 }) };
  });
}

/** Per group of G rows at one position, expert e takes the k rows with the highest p[·, e]. */
function expertChoice(ctx: Lowering, probs: string, layer: ExpertChoiceLayer): Route[] {
  const b = ctx.b;
  const { group, experts } = layer;
  const k = rowsPerExpert(layer);
  const dims = groupDims(group);
  const picks = `${dims.tokens}_top_${k}`; // k·T·k: every member an expert picks
  const [batch, length] = [ctx.batchSize(), ctx.sequenceLength()];
  const { groups, padding } = ctx.grouping(group);

  const rowShape = ctx.shared(`batch_shape_${experts}`, () => b.shape([batch, length, experts]));
  const groupShape = ctx.shared(`groups_of_${group}_shape_${experts}`, () => b.shape([groups, group, length, experts]));
  const byRow = b.shaped(b.reshape(probs, rowShape), [BATCH, SEQUENCE, experts]);
  const padded = b.shaped(b.node("Pad", [byRow, padding, b.float32(-1)]), [dims.rows, SEQUENCE, experts]); // padding ranks last
  const grouped = b.shaped(b.reshape(padded, groupShape), [dims.groups, group, SEQUENCE, experts]);
  const byGroup = b.transpose(grouped, [0, 2, 3, 1]); // [k, T, E, G]
  const [gates, members] = b.nodeOutputs("TopK", [byGroup, b.int64([k])], 2, { axis: -1, largest: 1, sorted: 1 }); // [groups, T, E, k]

  // Token index n = (g·G + j)·T + t of member j of group g at position t.
  const groupStart = ctx.shared(`groups_of_${group}_starts`, () => {
    const groupIndex = b.shaped(b.node("Range", [b.int64(0), groups, b.int64(1)]), [dims.groups], DataType.INT64);
    return b.shaped(b.reshape(b.mul(groupIndex, b.int64(group)), [-1, 1, 1, 1]), [dims.groups, 1, 1, 1], DataType.INT64);
  });
  const position = ctx.shared("token_positions", () => {
    const positions = b.shaped(b.node("Range", [b.int64(0), length, b.int64(1)]), [SEQUENCE], DataType.INT64);
    return b.shaped(b.reshape(positions, [1, -1, 1, 1]), [1, SEQUENCE, 1, 1], DataType.INT64);
  });
  const tokenIndex = b.add(b.mul(b.add(groupStart, members), length), position);
  const real = b.node("Greater", [gates, b.float32(-0.5)]); // false on padding rows

  return Array.from({ length: experts }, (_, e) => {
    const pick = (x: string, dataType: DataTypeCode) => b.shaped(b.reshape(b.node("Gather", [x, b.int64(e)], { axis: 2 }), [-1]), [picks], dataType);
    const keep = pick(real, DataType.BOOL);
    const rows = b.node("Compress", [pick(tokenIndex, DataType.INT64), keep], { axis: 0 });
    return { rows, gates: b.node("Compress", [pick(gates, DataType.FLOAT), keep], { axis: 0 }) };
  });
}
