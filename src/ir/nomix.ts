// `motc compile --no-mix`: the model rewritten so that no token is mixed with
// another sequence's, for private decoding (a user's logits must not carry
// another user's tokens). The weights stay as trained; only the MoT layers'
// grouping changes, so the lowerings need nothing new for `group1`.
//
//   group1  every row is its own group (G = 1): each mixing weight is
//           softmax over one row = 1, and the layer is a bias-free dense FFN of
//           width E·f (SEMANTICS.md). A sequence's logits are the same whatever
//           else is in its batch.
//   hard    the τ → 0 "expert-choice limit" at the trained G: each expert takes
//           the single highest-logit row of its group (ties: the first) with
//           weight 1 and every other row with 0, so tokens are never blended —
//           but which row an expert takes still depends on the other rows of
//           the group, so a sequence's output can change with its companions.
import type { ModelIR } from "./model.js";

export type NoMixMode = "group1" | "hard";
export const NO_MIX_MODES: readonly NoMixMode[] = ["group1", "hard"];

/** The model with every `mot` layer made non-mixing in `mode`; other layers and the weights' names and shapes unchanged. */
export function withoutMixing(model: ModelIR, mode: NoMixMode): ModelIR {
  return {
    ...model,
    sublayers: model.sublayers.map((layer) => {
      if (layer.kind !== "mot") return layer;
      return mode === "group1" ? { ...layer, group: 1 } : { ...layer, mixing: "hard" };
    }),
  };
}
