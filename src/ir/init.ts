// Seeded initial weights: the same model and seed give bit-identical tensors in
// every lowering and on every machine (SEMANTICS.md, "Training").
import type { ModelIR } from "./model.js";
import { parameterTable, paramCount, type ParamSpec } from "./params.js";
import { Random } from "./random.js";

export type Weights = Map<string, Float32Array>;

export function initialValue(spec: ParamSpec, seed: number): Float32Array {
  const values = new Float32Array(paramCount(spec.shape));
  const init = spec.init;
  switch (init.kind) {
    case "zeros":
      break;
    case "ones":
      values.fill(1);
      break;
    case "constant":
      values.fill(init.value);
      break;
    case "normal": {
      const random = new Random(seed, spec.name);
      for (let i = 0; i < values.length; i++) values[i] = random.normal() * init.std;
      break;
    }
    case "truncated_normal": {
      // Redrawn while outside the bound: the truncated normal's density, drawn in order.
      const random = new Random(seed, spec.name);
      for (let i = 0; i < values.length; i++) {
        let value = random.normal() * init.std;
        while (Math.abs(value) > init.bound) value = random.normal() * init.std;
        values[i] = value;
      }
      break;
    }
  }
  return values;
}

export function initialWeights(model: ModelIR, seed: number): Weights {
  const weights: Weights = new Map();
  for (const spec of parameterTable(model)) weights.set(spec.name, initialValue(spec, seed));
  return weights;
}
