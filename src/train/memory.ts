// Whether a training run fits its tfjs backend, decided before anything of the
// run is allocated (issue 11): a run that cannot fit is refused with the figure
// and what would fit, instead of ending in "memory access out of bounds" minutes
// later.
//
// wasm addresses at most 4 GiB. Its heap holds more than the lower bound of
// src/ir/memory.ts (weights, gradients, AdamW moments, activations, what `motc
// summary` prints): the clipped gradients, the optimizer's per-chunk
// temporaries (optimizer.ts), the gradient of every kept activation and the
// forward pass's other intermediates. Measured by bench/train-memory.ts (the
// heap's size after two steps and an evaluation; README "Training memory"):
//   peak ≈ 28 B × params + 3 × activations + 330 MiB
// within 6% on mot_paper (81.6M params, 256–512 tokens a step) and dense_paper
// (16.1M params, 256–2048 tokens), where activations are the estimate's with a
// mot layer's rows padded to whole groups (a batch smaller than `group` is
// padded to it: mot_paper at batch 1 costs what batch 32 does). A run is refused
// when that figure, plus a 10% margin, passes 4 GiB.
// The cpu backend keeps tensors in JavaScript memory: it is refused only when even
// the lower bound passes the machine's memory. tensorflow and webgpu are not
// checked (their memory is the GPU's, or native, and not known here).
import { totalmem } from "node:os";
import { UserError } from "../base/errors.js";
import { formatBytes, sublayerActivationFloats, trainingMemory } from "../ir/memory.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";

/** wasm32's address space: the most a tfjs wasm heap can grow to. */
export const WASM_HEAP = 4 * 2 ** 30;
/** Room left for what the calibration did not see (heap fragmentation, a larger evaluation). */
const MARGIN = 1.1;

/** The wasm heap a training step of `model` at `batch` × `context` takes, by the calibration above. */
export function wasmTrainingBytes(model: ModelIR, params: number, batch: number, context: number): number {
  const d = model.dModel;
  let floats = batch * (d + 2 * d + 2 * model.vocab); // embed, head (as trainingMemory)
  for (const layer of model.sublayers) {
    const rows = layer.kind === "mot" ? Math.ceil(batch / layer.group) * layer.group : batch;
    floats += rows * sublayerActivationFloats(layer, model, context, rows);
  }
  const activations = 4 * context * floats;
  return 28 * params + 3 * activations + 330 * 2 ** 20;
}

/**
 * Refuses a run that cannot fit `backend` (the tfjs backend that started):
 * MOT505 with the figure, the lower bound `motc summary` prints, and the largest
 * batch that fits (or none).
 */
export function checkTrainingMemory(model: ModelIR, recipe: Recipe, backend: string): void {
  const params = parameterTable(model).reduce((sum, p) => sum + paramCount(p.shape), 0);
  const { batch, context } = recipe;
  const summary = trainingMemory(model, params, batch, context).bytes.total;
  const [needed, limit, of] =
    backend === "wasm" ? [(b: number) => MARGIN * wasmTrainingBytes(model, params, b, context), WASM_HEAP, "the 4 GiB a wasm heap can hold"]
    : backend === "cpu" ? [(b: number) => trainingMemory(model, params, b, context).bytes.total, totalmem(), `this machine's ${formatBytes(totalmem())} of memory`]
    : [undefined, Infinity, ""];
  if (!needed || needed(batch) <= limit) return;
  const fits = largestBatch(needed, limit, batch - 1);
  const instead = fits > 0 ? `--batch ${fits} fits, or train with --engine torch` : `no batch fits at context ${context} (batch 1 needs ${formatBytes(needed(1))}): train with --engine torch`;
  throw new UserError("MOT505", [model.name, formatBytes(needed(batch)), batch, context, backend, formatBytes(summary), of, instead]);
}

/** The largest batch in [1, most] whose need is within `limit` (needs grow with the batch), or 0. */
function largestBatch(needed: (batch: number) => number, limit: number, most: number): number {
  let [low, high] = [0, most];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (needed(middle) <= limit) low = middle;
    else high = middle - 1;
  }
  return low;
}
