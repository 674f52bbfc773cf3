// Every sublayer kind's training lowering, loaded from the registry of kinds
// (src/ir/layers/index.ts), which names each kind's file here. The check below
// makes tsc fail, naming the kind, when a kind's file does not export `lower`
// with the TfjsLowering signature for that kind's IR type.
import { LOWERINGS, SUBLAYER_NAMES, type Sublayer, type SublayerKindName, type SublayerOf } from "../ir/layers/index.js";
import type { TfjsLowering } from "./ops.js";

type Loaded<K extends SublayerKindName> = Awaited<ReturnType<(typeof LOWERINGS)[K]["tfjs"]>>;
type Mismatched = { [K in SublayerKindName]: Loaded<K> extends { lower: TfjsLowering<SublayerOf<K>> } ? never : K }[SublayerKindName];
/** True, or a type error naming the kinds whose training lowering is missing or mistyped. */
export const EVERY_KIND_LOWERS_TO_TFJS: [Mismatched] extends [never] ? true : Mismatched = true;

const lowerings = new Map<string, TfjsLowering<Sublayer>>(
  await Promise.all(SUBLAYER_NAMES.map(async (kind) => [kind, (await LOWERINGS[kind].tfjs()).lower as TfjsLowering<Sublayer>] as const)),
);

/** The training lowering of `layer`'s kind. */
export function tfjsLowering(layer: Sublayer): TfjsLowering<Sublayer> {
  return lowerings.get(layer.kind)!;
}
