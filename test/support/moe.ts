// Hand-built moe models shared by test/onnx/moe.test.ts and test/tfjs/moe.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights, type Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import type { MixtureOfExpertsLayer } from "../../src/ir/layers/moe.js";
import { repoRoot } from "./cli.js";

/** specs/moe.mot's model: token_choice (E=4, top-2) then expert_choice (E=4, G=4). */
export function moeSpecModel(): ModelIR {
  const path = join(repoRoot, "specs", "moe.mot");
  const result = checkSpec({ path, text: readFileSync(path, "utf8") });
  if (result.models.length !== 1) throw new Error("specs/moe.mot should hold one model");
  return result.models[0];
}

/** The same model with each moe layer changed by `change`. */
export function withMoe(model: ModelIR, change: (layer: MixtureOfExpertsLayer) => Partial<MixtureOfExpertsLayer>): ModelIR {
  return { ...model, sublayers: model.sublayers.map((layer) => (layer.kind === "moe" ? ({ ...layer, ...change(layer) } as MixtureOfExpertsLayer) : layer)) };
}

/**
 * Initial weights with every router scaled so router logits have a standard
 * deviation near 2 (at 0.02 init p is nearly uniform and routing bugs hide), and
 * the experts scaled ×10 so that their outputs are of order one.
 */
export function strongMoe(model: ModelIR, seed: number): Weights {
  const weights = initialWeights(model, seed);
  const scale = (name: string, factor: number) => weights.set(name, weights.get(name)!.map((v) => v * factor));
  for (const layer of model.sublayers) {
    if (layer.kind !== "moe") continue;
    scale(`layers.${layer.index}.moe.router`, 2 / (0.02 * Math.sqrt(model.dModel)));
    scale(`layers.${layer.index}.moe.w1`, 10);
    scale(`layers.${layer.index}.moe.w2`, 10);
  }
  return weights;
}

/**
 * embed → moe(token_choice, E=4, top-1, capacity 1) → head, with weights that send
 * every token to expert 0: the norm before the moe has scale 0 and a fixed bias v,
 * so h = v for every token, and router column 0 is 10·v (the others 0).
 * In training expert 0 would take only ceil(1 · N · 1 / 4) tokens.
 */
export function oneExpertModel(): { model: ModelIR; weights: Weights; limit: (tokens: number) => number } {
  const layer: MixtureOfExpertsLayer = {
    kind: "moe", init: { kind: "fan_in", scale: 1 }, index: 0, experts: 4, routing: "token_choice", topk: 1, capacity: 1, expertSize: 12, activation: "gelu", auxLoss: 0.01,
  };
  const model: ModelIR = {
    name: "one_expert", vocab: 13, context: 8, dModel: 8, dFF: 32, norm: "layernorm", normEps: 1e-5, dropout: 0,
    init: { kind: "normal", std: 0.02 },
    position: "learned", sublayers: [layer], tiedHead: true,
  };
  const weights = initialWeights(model, 21);
  const v = Float32Array.from({ length: 8 }, (_, c) => (c % 2 === 0 ? 0.5 : -0.3) + 0.05 * c);
  weights.set("layers.0.norm.scale", new Float32Array(8));
  weights.set("layers.0.norm.bias", v);
  const router = new Float32Array(8 * 4);
  for (let c = 0; c < 8; c++) router[c * 4] = 10 * v[c];
  weights.set("layers.0.moe.router", router);
  // Experts of order one, so expert 0's contribution is far above the tolerance.
  for (const name of ["layers.0.moe.w1", "layers.0.moe.w2"]) weights.set(name, weights.get(name)!.map((x) => x * 40));
  return { model, weights, limit: (tokens) => Math.ceil((layer.capacity * tokens * layer.topk) / layer.experts) };
}

/** `weights` with every moe w2 zeroed: the logits of the same model with no expert contribution. */
export function withoutExperts(model: ModelIR, weights: Weights): Weights {
  const silent: Weights = new Map(weights);
  for (const layer of model.sublayers) {
    if (layer.kind === "moe") silent.set(`layers.${layer.index}.moe.w2`, new Float32Array(weights.get(`layers.${layer.index}.moe.w2`)!.length));
  }
  return silent;
}
