// Gradient truth: the tfjs graph's gradients of the loss against central finite
// differences of the float64 reference loss (test/reference), parameter by
// parameter, on sampled elements.
import assert from "node:assert/strict";
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { Random } from "../../src/ir/random.js";
import { createTrainingGraph, type TF } from "../../src/tfjs/index.js";
import { randomIds, referenceLoss, strongWeights } from "./support.js";

/** Perturbation; the reference is float64, so only float32 storage of weights limits it. */
const EPS = 1e-4;
const SAMPLES = 4;
/** |tfjs − FD| ≤ RELATIVE·|FD| + ABSOLUTE: float32 forward and backward vs float64. */
const RELATIVE = 1e-3;
const ABSOLUTE = 2e-6;

/**
 * Parameters whose gradient the maths makes exactly zero: the key bias adds q·bk
 * to every score of a query row alike, and with group 1 every MoT weight is 1.
 */
function exactlyZero(model: ModelIR, name: string): boolean {
  if (name.endsWith(".attn.bk")) return true;
  return model.sublayers.some((layer) => layer.kind === "mot" && layer.group === 1 &&
    (name === `layers.${layer.index}.mot.controller` || name === `layers.${layer.index}.mot.log_temp`));
}

export interface GradientReport {
  checked: number;
  worst: string;
}

export function checkGradients(tf: TF, model: ModelIR, batch: number, length: number, seed: number): GradientReport {
  const weights = strongWeights(model, seed);
  const ids = randomIds(model.vocab, batch, length, seed);
  const targets = randomIds(model.vocab, batch, length, seed + 1);
  const graph = createTrainingGraph(tf, model, weights);
  const analytic = new Map<string, Float32Array>();
  try {
    tf.tidy(() => {
      const idsTensor = tf.tensor2d(ids, [batch, length], "int32");
      const targetTensor = tf.tensor2d(targets, [batch, length], "int32");
      const { value, grads } = tf.variableGrads(() => graph.loss(idsTensor, targetTensor), [...graph.variables.values()]);
      const loss = value.dataSync()[0];
      const reference = referenceLoss(model, weights, ids, targets);
      assert.ok(Math.abs(loss - reference) < 1e-4, `${model.name}: tfjs loss ${loss} vs reference ${reference}`);
      for (const [name, variable] of graph.variables) analytic.set(name, Float32Array.from(grads[variable.name].dataSync()));
    });
  } finally {
    graph.dispose();
  }

  const random = new Random(seed, `${model.name}:samples`);
  let checked = 0;
  let worstRatio = 0;
  let worst = "";
  for (const [name, gradient] of analytic) {
    const indices = sampleIndices(gradient.length, random);
    let largest = 0;
    for (const index of indices) {
      const numeric = finiteDifference(model, weights, name, index, ids, targets);
      largest = Math.max(largest, Math.abs(numeric));
      const error = Math.abs(gradient[index] - numeric);
      const allowed = RELATIVE * Math.abs(numeric) + ABSOLUTE;
      assert.ok(error <= allowed, `${model.name} ${name}[${index}]: tfjs ${gradient[index]} vs finite difference ${numeric} (error ${error.toExponential(2)})`);
      if (error / allowed > worstRatio) {
        worstRatio = error / allowed;
        worst = `${name}[${index}] tfjs ${gradient[index].toExponential(4)} FD ${numeric.toExponential(4)}`;
      }
      checked++;
    }
    // A gradient that is zero everywhere we looked would make the check vacuous,
    // except where the maths makes it zero.
    if (exactlyZero(model, name)) continue;
    assert.ok(largest > 1e-5, `${model.name} ${name}: gradient ~0 at every sampled element (${largest})`);
  }
  return { checked, worst: `${worst} (${(worstRatio * 100).toFixed(1)}% of tolerance)` };
}

function sampleIndices(size: number, random: Random): number[] {
  if (size <= SAMPLES) return Array.from({ length: size }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < SAMPLES) picked.add(random.int(size));
  return [...picked].sort((a, b) => a - b);
}

function finiteDifference(model: ModelIR, weights: Weights, name: string, index: number, ids: number[][], targets: number[][]): number {
  const original = weights.get(name)!;
  const at = (delta: number): [number, number] => {
    const changed = Float32Array.from(original);
    changed[index] = original[index] + delta; // rounded to float32: use the stored step
    const next = new Map(weights).set(name, changed);
    return [changed[index], referenceLoss(model, next, ids, targets)];
  };
  const [upper, lossUp] = at(EPS);
  const [lower, lossDown] = at(-EPS);
  return (lossUp - lossDown) / (upper - lower);
}
