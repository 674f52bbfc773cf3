import assert from "node:assert/strict";
import { test } from "node:test";
import { learningRate } from "../../src/train/schedule.js";

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-15, `${actual} != ${expected}`);

test("linear warm-up reaches the peak at the last warm-up step", () => {
  const config = { lr: 0.01, warmup: 10, steps: 110, schedule: { kind: "cosine", final: 0.1 } as const };
  close(learningRate(config, 1), 0.001);
  close(learningRate(config, 5), 0.005);
  close(learningRate(config, 10), 0.01);
});

test("cosine decays to final · lr at the last step (hand-computed values)", () => {
  const config = { lr: 0.01, warmup: 10, steps: 110, schedule: { kind: "cosine", final: 0.1 } as const };
  // p = 25/100: 0.01 · (0.1 + 0.9 · ½(1 + cos(π/4))) = 0.01 · (0.1 + 0.45 · 1.7071067811865475)
  close(learningRate(config, 35), 0.008681980515339464);
  close(learningRate(config, 60), 0.0055); // p = ½: halfway between 0.01 and 0.001
  close(learningRate(config, 110), 0.001);
});

test("linear and constant schedules", () => {
  const linear = { lr: 0.01, warmup: 10, steps: 110, schedule: { kind: "linear", final: 0.2 } as const };
  close(learningRate(linear, 60), 0.006);
  close(learningRate(linear, 110), 0.002);
  const constant = { lr: 0.01, warmup: 10, steps: 110, schedule: { kind: "constant" } as const };
  close(learningRate(constant, 3), 0.003);
  close(learningRate(constant, 100), 0.01);
});

test("no warm-up starts decaying at step 1; warm-up longer than the run is clamped", () => {
  const config = { lr: 1, warmup: 0, steps: 4, schedule: { kind: "linear", final: 0 } as const };
  assert.deepEqual([1, 2, 3, 4].map((s) => learningRate(config, s)), [0.75, 0.5, 0.25, 0]);
  const short = { lr: 1, warmup: 10, steps: 4, schedule: { kind: "constant" } as const };
  assert.deepEqual([1, 4].map((s) => learningRate(short, s)), [0.25, 1]);
});
