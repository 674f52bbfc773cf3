// Writing a PyTorch program (src/torch/) to disk: DIR/ with model.py, train.py
// and motc's initial weights as a checkpoint, DIR/initial/, all at once (a
// temporary directory renamed into place). `motc compile --target torch` and
// `motc train --engine torch` (into the run directory) both write it this way,
// so the same spec, seed and weights give byte-identical files.
import { writeDirectoryAtomic } from "../base/files.js";
import { version } from "../base/version.js";
import type { Weights } from "../ir/init.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import { lowerToTorch } from "../torch/index.js";
import { checkpointFiles } from "./checkpoint.js";

/** Where train.py finds the weights a fresh run starts from (train.py's --initial). */
export const INITIAL = "initial";

export interface WrittenProgram {
  dir: string;
  /** The entries written, in order: model.py, train.py (with a recipe), initial/. */
  files: string[];
  bytes: number;
}

export function writeTorchProgram(dir: string, model: ModelIR, weights: Weights, options: { recipe?: Recipe; spec: string }): WrittenProgram {
  const encoder = new TextEncoder();
  const sources = [...lowerToTorch(model, { recipe: options.recipe, spec: options.spec, version })];
  const initial = checkpointFiles(INITIAL, model, 0, weights);
  const files = [...sources.map(([name, text]) => ({ path: name, chunks: [encoder.encode(text)] })), ...initial];
  writeDirectoryAtomic(dir, files);
  const bytes = files.reduce((sum, file) => sum + file.chunks.reduce((s, chunk) => s + chunk.byteLength, 0), 0);
  return { dir, files: [...sources.map(([name]) => name), `${INITIAL}/`], bytes };
}
