// Every sublayer kind's ONNX lowering, loaded from the registry of kinds
// (src/ir/layers/index.ts), which names each kind's file here. The check below
// makes tsc fail, naming the kind, when a kind's file does not export `lower`
// with the OnnxLowering signature for that kind's IR type.
import { LOWERINGS, SUBLAYER_NAMES, type Sublayer, type SublayerKindName, type SublayerOf } from "../ir/layers/index.js";
import type { OnnxLowering } from "./context.js";

type Loaded<K extends SublayerKindName> = Awaited<ReturnType<(typeof LOWERINGS)[K]["onnx"]>>;
type Mismatched = { [K in SublayerKindName]: Loaded<K> extends { lower: OnnxLowering<SublayerOf<K>> } ? never : K }[SublayerKindName];
/** True, or a type error naming the kinds whose ONNX lowering is missing or mistyped. */
export const EVERY_KIND_LOWERS_TO_ONNX: [Mismatched] extends [never] ? true : Mismatched = true;

const lowerings = new Map<string, OnnxLowering<Sublayer>>(
  await Promise.all(SUBLAYER_NAMES.map(async (kind) => [kind, (await LOWERINGS[kind].onnx()).lower as OnnxLowering<Sublayer>] as const)),
);

/** The ONNX lowering of `layer`'s kind. */
export function onnxLowering(layer: Sublayer): OnnxLowering<Sublayer> {
  return lowerings.get(layer.kind)!;
}
