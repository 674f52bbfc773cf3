// Every sublayer kind's PyTorch lowering, loaded from the registry of kinds
// (src/ir/layers/index.ts), which names each kind's file here. The check below
// makes tsc fail, naming the kind, when a kind's file does not export `lower`
// with the TorchLowering signature for that kind's IR type.
import { LOWERINGS, SUBLAYER_NAMES, type Sublayer, type SublayerKindName, type SublayerOf } from "../ir/layers/index.js";
import type { TorchLowering } from "./lowering.js";

type Loaded<K extends SublayerKindName> = Awaited<ReturnType<(typeof LOWERINGS)[K]["torch"]>>;
type Mismatched = { [K in SublayerKindName]: Loaded<K> extends { lower: TorchLowering<SublayerOf<K>> } ? never : K }[SublayerKindName];
/** True, or a type error naming the kinds whose PyTorch lowering is missing or mistyped. */
export const EVERY_KIND_LOWERS_TO_TORCH: [Mismatched] extends [never] ? true : Mismatched = true;

const lowerings = new Map<string, TorchLowering<Sublayer>>(
  await Promise.all(SUBLAYER_NAMES.map(async (kind) => [kind, (await LOWERINGS[kind].torch()).lower as TorchLowering<Sublayer>] as const)),
);

/** The PyTorch lowering of `layer`'s kind. */
export function torchLowering(layer: Sublayer): TorchLowering<Sublayer> {
  return lowerings.get(layer.kind)!;
}
