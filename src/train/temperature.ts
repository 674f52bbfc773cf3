// The recipe's `temp = anneal(final = f, start = s)`: over the last part of
// training every learnable MoT temperature is pulled to f, so the model ends
// trained at (nearly) the expert-choice limit that `motc compile --no-mix=hard`
// runs it in.
//
// After update u (1-based) with start < u ≤ steps, each `layers.i.mot.log_temp`
// (ℓ) is moved a share of the way that is left:
//     ℓ ← (1 − a) · ℓ + a · ln f,   a = 1 / (steps − u + 1)
// so a = 1 at the last update and ℓ = ln f exactly (τ = f in float32). Were ℓ
// not also learned, this is the log-linear interpolation
//     ln τ_u = ln τ_start + (ln f − ln τ_start) · (u − start) / (steps − start);
// the gradient still moves ℓ in between, and the pull takes ever more of it.
// The rule reads only the weights and the step, both in the checkpoint, so a
// resumed run pulls exactly as the uninterrupted one.
import type { ModelIR, Recipe, TemperatureAnneal } from "../ir/model.js";
import type { TrainingGraph } from "../tfjs/index.js";
import type { Tf } from "./optimizer.js";

/** The update after which the anneal starts: `start` of steps (a fraction below 1), at most steps − 1. */
export function annealStart(anneal: TemperatureAnneal, steps: number): number {
  const start = anneal.start < 1 ? Math.round(anneal.start * steps) : anneal.start;
  return Math.max(0, Math.min(steps - 1, start));
}

/** The share `a` of the way to ln f taken after update `update` (1-based); undefined before the anneal. */
export function annealShare(recipe: Recipe, update: number): number | undefined {
  if (!recipe.temp || update <= annealStart(recipe.temp, recipe.steps) || update > recipe.steps) return undefined;
  return 1 / (recipe.steps - update + 1);
}

/** The names of the learnable temperatures the anneal moves. */
export function learnableTemperatures(model: ModelIR): string[] {
  return model.sublayers.flatMap((layer) =>
    layer.kind === "mot" && layer.temp.kind === "learnable" ? [`layers.${layer.index}.mot.log_temp`] : [],
  );
}

/** Applies the pull after update `update`; a no-op outside the anneal or without a `temp` schedule. */
export function annealTemperatures(tf: Tf, graph: TrainingGraph, model: ModelIR, recipe: Recipe, update: number): void {
  const share = annealShare(recipe, update);
  if (share === undefined || !recipe.temp) return;
  const target = Math.log(recipe.temp.final);
  for (const name of learnableTemperatures(model)) {
    const variable = graph.variables.get(name);
    if (!variable) throw new Error(`internal: no variable ${name}`);
    const current = variable.dataSync()[0];
    const next = share === 1 ? target : (1 - share) * current + share * target;
    tf.tidy(() => variable.assign(tf.fill(variable.shape, next)));
  }
}
