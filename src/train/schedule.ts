// The learning-rate schedule of a recipe (LANGUAGE.md, "Training recipes"):
// linear warm-up to the peak `lr`, then constant, cosine or linear decay to
// `final · lr` at the last step.
import type { Schedule } from "../ir/model.js";

export interface ScheduleConfig {
  /** Peak learning rate. */
  lr: number;
  /** Warm-up length in steps (0 for none). */
  warmup: number;
  /** Total optimizer steps; the decay reaches its floor at this step. */
  steps: number;
  schedule: Schedule;
}

/**
 * The learning rate of update number `step` (1-based: the first update is step 1).
 * Warm-up: lr · step / warmup for step ≤ warmup. After it, with progress
 * p = (step − warmup) / (steps − warmup) ∈ (0, 1]:
 *   cosine: lr · (final + (1 − final) · ½(1 + cos πp))
 *   linear: lr · (1 − (1 − final) · p)
 */
export function learningRate(config: ScheduleConfig, step: number): number {
  const { lr, steps, schedule } = config;
  const warmup = Math.min(config.warmup, steps);
  if (step <= warmup) return (lr * step) / warmup;
  const decaySteps = steps - warmup;
  const progress = decaySteps <= 0 ? 1 : Math.min(1, (step - warmup) / decaySteps);
  switch (schedule.kind) {
    case "constant":
      return lr;
    case "cosine":
      return lr * (schedule.final + (1 - schedule.final) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    case "linear":
      return lr * (1 - (1 - schedule.final) * progress);
  }
}
