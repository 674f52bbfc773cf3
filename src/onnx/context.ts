// What every per-layer lowering receives: the builder, the model, its
// parameters by SEMANTICS.md name, and the values every layer would compute
// alike — positions, the causal mask, the batch's sizes and groupings —
// computed once (Lowering.shared).
import type { ModelIR } from "../ir/model.js";
import { DataType, SEQUENCE, TOTAL, type GraphBuilder } from "./builder.js";

/**
 * The ONNX lowering of one sublayer kind: `h` (the normed input, [B, T, d]) → the
 * branch's output [B, T, d]. Each kind's file (attention.ts, ff.ts, …) exports one
 * as `lower`; layers.ts collects them from the registry (src/ir/layers/index.ts).
 */
export type OnnxLowering<L> = (ctx: Lowering, h: string, layer: L) => string;

/**
 * The symbolic sizes of a batch cut into groups of `group` rows (mot.ts, and
 * moe.ts's expert choice): `groups` k = ceil(B / G), `rows` the padded batch
 * k·G, `tokens` k·T. Named by G, so every layer with the same G shares them.
 */
export function groupDims(group: number): { groups: string; rows: string; tokens: string } {
  return { groups: `groups_of_${group}`, rows: `rows_in_groups_of_${group}`, tokens: `tokens_in_groups_of_${group}` };
}

/** Large negative additive mask: exp() of it underflows to exactly 0 in float32. */
export const MASKED = -1e30;

export class Lowering {
  private nextCache = 0;
  private readonly sharedValues = new Map<string, unknown>();

  /**
   * @param params parameter name → graph value holding it as float32
   *   (the initializer itself, or a Cast of a float16 one)
   * @param ids the `input_ids` value, int64 [B, T]
   * @param pastLength int64 scalar: tokens already in the KV cache (undefined: no cache)
   */
  constructor(
    readonly b: GraphBuilder,
    readonly model: ModelIR,
    readonly ids: string,
    private readonly params: ReadonlyMap<string, string>,
    readonly pastLength: string | undefined,
  ) {}

  /** The float32 graph value of parameter `name` (e.g. `layers.3.mot.w1`). */
  param(name: string): string {
    const value = this.params.get(name);
    if (value === undefined) throw new Error(`internal: parameter ${name} is not in the parameter table`);
    return value;
  }

  get kvCache(): boolean {
    return this.pastLength !== undefined;
  }

  /** Index n of the next attention layer's `past_key_values.{n}` / `present.{n}`. */
  takeCacheIndex(): number {
    return this.nextCache++;
  }

  /**
   * What every layer of a kind would compute alike — the batch's sizes as
   * scalars, a grouping's padding and mask — built once, by the first layer
   * that asks, under `key`. Fewer nodes; and onnxruntime keeps every freed
   * scalar on the list it searches when it plans each buffer, so a few per
   * layer made opening a 10,000-sublayer model take minutes.
   */
  shared<T>(key: string, build: () => T): T {
    if (!this.sharedValues.has(key)) this.sharedValues.set(key, this.b.scoped(key, build));
    return this.sharedValues.get(key) as T;
  }

  /** B, the batch size, as an int64 scalar. */
  batchSize(): string {
    return this.shared("batch_size", () => this.b.dim(this.ids, 0));
  }

  /** T, the tokens of each sequence in this call, as an int64 scalar. */
  sequenceLength(): string {
    return this.shared("sequence_length", () => this.b.dim(this.ids, 1));
  }

  /**
   * The batch cut into groups of `group` rows (mot.ts, moe.ts's expert choice),
   * padded to k = ceil(B / G) whole groups: k, the padded batch k·G, and the
   * padding Pad takes to get there on the batch axis of a [B, T, ·] tensor.
   */
  grouping(group: number): { groups: string; paddedBatch: string; padding: string } {
    return this.shared(`groups_of_${group}`, () => {
      const b = this.b;
      const batch = this.batchSize();
      const groups = b.node("Div", [b.add(batch, b.int64(group - 1)), b.int64(group)]);
      const paddedBatch = b.mul(groups, b.int64(group));
      return { groups, paddedBatch, padding: b.shape([0, 0, 0, b.node("Sub", [paddedBatch, batch]), 0, 0]) };
    });
  }

  /** The current tokens' absolute positions, int64 [T]: past … past+T-1. */
  positions(): string {
    return this.shared("positions", () => {
      const b = this.b;
      const start = this.pastLength ?? b.int64(0);
      const end = b.add(start, this.sequenceLength());
      return b.shaped(b.node("Range", [start, end, b.int64(1)]), [SEQUENCE], DataType.INT64);
    });
  }

  /**
   * Additive causal mask [T, past+T]: 0 where key position ≤ query position,
   * MASKED after it (SEMANTICS.md: `causal` masks keys after the query's position).
   */
  causalMask(): string {
    // Without a cache the keys are the queries: the same symbolic length, so the scores are [B, heads, T, T].
    const keyLength = this.kvCache ? TOTAL : SEQUENCE;
    return this.shared("causal_mask", () => {
      const b = this.b;
      const queries = this.positions();
      const total = b.add(this.pastLength ?? b.int64(0), this.sequenceLength());
      const keys = b.shaped(b.node("Range", [b.int64(0), total, b.int64(1)]), [keyLength], DataType.INT64);
      const later = b.node("Greater", [b.node("Unsqueeze", [keys, b.int64([0])]), b.node("Unsqueeze", [queries, b.int64([1])])]);
      return b.shaped(b.node("Where", [later, b.float32(MASKED), b.float32(0)]), [SEQUENCE, keyLength]);
    });
  }
}
