// bench/paper/results.json: what the report is rendered from, for other tools.
import type { ModelCost } from "../../src/ir/cost.js";
import type { ModelIR } from "../../src/ir/model.js";
import type { TransitionResult, LayerEntropy } from "./extras.js";

export interface RunResult {
  lr: number;
  seed: number;
  steps: number;
  /** [step, held-out loss in nats/byte] */
  eval: [number, number][];
  /** [step, training loss] */
  train: [number, number][];
  cpuSecondsPerStep: number;
  loadAverage: number;
}

export interface ModelResult {
  name: string;
  model: ModelIR;
  cost: ModelCost;
  /** The short sweep at seed 0: final held-out loss per learning rate. */
  sweep: { lr: number; finalLoss: number }[];
  /** The sweep's best learning rate, used for every seed. */
  lr: number;
  runs: RunResult[];
  entropies?: LayerEntropy[];
}

export interface BenchResults {
  engine: string;
  machine: string;
  loadAverageAtEnd: number;
  sweepSteps: number;
  steps: number;
  seeds: number[];
  models: ModelResult[];
  transitions: TransitionResult[];
}
