// A model's identity for checkpoints: what its weights mean, the sha256 of its
// IR without its name, parent, recipe or initialisation (how weights started
// does not change what they compute), so renaming a model, changing its recipe
// or its init keeps its checkpoints, while any change of layers or sizes is
// caught. Both engines record it (the PyTorch program has it baked in) and
// --resume compares it.
import { createHash } from "node:crypto";
import type { ModelIR } from "./model.js";

export function modelFingerprint(model: ModelIR): string {
  const { name: _name, parent: _parent, recipe: _recipe, init: _init, ...structure } = model;
  const sublayers = structure.sublayers.map(({ init: _layerInit, ...layer }) => layer);
  return createHash("sha256").update(JSON.stringify({ ...structure, sublayers })).digest("hex");
}
