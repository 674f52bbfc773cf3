// IR → PyTorch program: model.py (the model, readable, one class per layer
// kind it uses) and train.py (the recipe, single- or multi-process). Pure
// functions from the checked model to source text; the CLI writes the files,
// with motc's initial weights beside them as a checkpoint (initial/).
import { modelFingerprint } from "../ir/fingerprint.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import { parameterTable } from "../ir/params.js";
import { modelPy } from "./model.js";
import { trainPy } from "./train.js";

export interface TorchOptions {
  /** The recipe train.py runs (flags applied); without one no train.py is written. */
  recipe?: Recipe;
  /** The spec's path, as the docstrings name it. */
  spec: string;
  /** motc's version, as the docstrings name it. */
  version: string;
}

/** The program's files by name: model.py, and train.py when there is a recipe. */
export function lowerToTorch(model: ModelIR, options: TorchOptions): Map<string, string> {
  const from = { spec: options.spec, version: options.version, fingerprint: modelFingerprint(model) };
  const files = new Map([["model.py", modelPy(model, from)]]);
  if (options.recipe) {
    // `temp = anneal(...)` pulls exactly the learnable Mixture-of-Tokens temperatures.
    const temperatures = parameterTable(model).filter((p) => p.name.endsWith(".mot.log_temp")).map((p) => p.name);
    files.set("train.py", trainPy(model, options.recipe, from, temperatures));
  }
  return files;
}
