// The registry of residual sublayer kinds: the one list that says which kinds
// exist. Each entry names the kind's IR module (arguments, parameters, costs,
// pictures: ./kind.ts) and, per lowering target, the file that lowers it. The
// lowering files are imported lazily, when a target loads them all (onnx/layers.ts,
// tfjs/layers.ts, torch/layers.ts), so `motc check` never loads a lowering; tsc
// fails when a kind lacks a lowering file or its lowering has the wrong signature.
import { attention } from "./attention.js";
import { ff } from "./ff.js";
import { glu } from "./glu.js";
import type { SublayerKind } from "./kind.js";
import { moe } from "./moe.js";
import { mot } from "./mot.js";

export const SUBLAYER_KINDS = { attention, ff, glu, mot, moe };

export const LOWERINGS = {
  attention: { onnx: () => import("../../onnx/attention.js"), tfjs: () => import("../../tfjs/attention.js"), torch: () => import("../../torch/attention.js") },
  ff: { onnx: () => import("../../onnx/ff.js"), tfjs: () => import("../../tfjs/ff.js"), torch: () => import("../../torch/ff.js") },
  glu: { onnx: () => import("../../onnx/glu.js"), tfjs: () => import("../../tfjs/glu.js"), torch: () => import("../../torch/glu.js") },
  mot: { onnx: () => import("../../onnx/mot.js"), tfjs: () => import("../../tfjs/mot.js"), torch: () => import("../../torch/mot.js") },
  moe: { onnx: () => import("../../onnx/moe.js"), tfjs: () => import("../../tfjs/moe.js"), torch: () => import("../../torch/moe.js") },
} satisfies { [K in SublayerKindName]: Record<LoweringTarget, () => Promise<unknown>> };

export type LoweringTarget = "onnx" | "tfjs" | "torch";
export type SublayerKindName = keyof typeof SUBLAYER_KINDS;
type LayerOf<D> = D extends SublayerKind<infer L> ? L : never;
/** A residual sublayer of any kind, as the IR holds it. */
export type Sublayer = { [K in SublayerKindName]: LayerOf<(typeof SUBLAYER_KINDS)[K]> }[SublayerKindName];
/** The IR type of the sublayers of kind K. */
export type SublayerOf<K extends SublayerKindName> = Extract<Sublayer, { kind: K }>;

export const SUBLAYER_NAMES = Object.keys(SUBLAYER_KINDS) as SublayerKindName[];

/** The kind named `name`, if there is one (hasOwn: `constructor` is not a layer). */
export function sublayerKind(name: string): SublayerKind<Sublayer> | undefined {
  return Object.hasOwn(SUBLAYER_KINDS, name) ? (SUBLAYER_KINDS[name as SublayerKindName] as unknown as SublayerKind<Sublayer>) : undefined;
}

/** The kind of `layer`, typed for it. */
export function kindOf<L extends Sublayer>(layer: L): SublayerKind<L> {
  return SUBLAYER_KINDS[layer.kind] as unknown as SublayerKind<L>;
}

/** Every enumerated word a sublayer argument can take (`relu`, `silu`, `expert_choice`, `learnable`, …). */
export function sublayerWords(): string[] {
  const words = new Set<string>();
  for (const kind of Object.values(SUBLAYER_KINDS)) {
    for (const spec of Object.values(kind.args)) {
      if (spec.type === "choice") spec.options.forEach((w) => words.add(w));
      if (spec.type === "custom") spec.words?.forEach((w) => words.add(w));
    }
  }
  return [...words];
}
