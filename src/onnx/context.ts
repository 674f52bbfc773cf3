// What every per-layer lowering receives: the builder, the model, its
// parameters by SEMANTICS.md name, and the shared position/mask values
// (computed once, used by the embedding and every attention layer).
import type { ModelIR } from "../ir/model.js";
import type { GraphBuilder } from "./builder.js";

/**
 * The ONNX lowering of one sublayer kind: `h` (the normed input, [B, T, d]) → the
 * branch's output [B, T, d]. Each kind's file (attention.ts, ff.ts, …) exports one
 * as `lower`; layers.ts collects them from the registry (src/ir/layers/index.ts).
 */
export type OnnxLowering<L> = (ctx: Lowering, h: string, layer: L) => string;

/** Large negative additive mask: exp() of it underflows to exactly 0 in float32. */
export const MASKED = -1e30;

export class Lowering {
  private positionsValue?: string;
  private maskValue?: string;
  private nextCache = 0;

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

  /** The current tokens' absolute positions, int64 [T]: past … past+T-1. */
  positions(): string {
    if (this.positionsValue) return this.positionsValue;
    const b = this.b;
    const start = this.pastLength ?? b.int64(0);
    const end = b.add(start, b.dim(this.ids, 1));
    this.positionsValue = b.scoped("positions", () => b.node("Range", [start, end, b.int64(1)]));
    return this.positionsValue;
  }

  /**
   * Additive causal mask [T, past+T]: 0 where key position ≤ query position,
   * MASKED after it (SEMANTICS.md: `causal` masks keys after the query's position).
   */
  causalMask(): string {
    if (this.maskValue) return this.maskValue;
    const b = this.b;
    const queries = this.positions();
    this.maskValue = b.scoped("causal_mask", () => {
      const total = b.add(this.pastLength ?? b.int64(0), b.dim(queries, 0));
      const keys = b.node("Range", [b.int64(0), total, b.int64(1)]);
      const later = b.node("Greater", [b.node("Unsqueeze", [keys, b.int64([0])]), b.node("Unsqueeze", [queries, b.int64([1])])]);
      return b.node("Where", [later, b.float32(MASKED), b.float32(0)]);
    });
    return this.maskValue;
  }
}
