// A model's identity for checkpoints: sha256 of its IR without the name, the
// parent and the recipe, so renaming a model or changing its recipe keeps its
// checkpoints, while any change of layers or sizes is caught. Both engines
// record it (the PyTorch program has it baked in) and --resume compares it.
import { createHash } from "node:crypto";
import type { ModelIR } from "./model.js";

export function modelFingerprint(model: ModelIR): string {
  const { name: _name, parent: _parent, recipe: _recipe, ...structure } = model;
  return createHash("sha256").update(JSON.stringify(structure)).digest("hex");
}
