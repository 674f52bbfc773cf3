// Distributed training (train.py under `motc train --engine torch --nproc 2`:
// two gloo ranks on this CPU, started by motc's launcher) against one rank on
// the same global batch, and gradient accumulation against neither: the loss
// curves agree to 1e-5 for a dense model and for a MoT model whose group
// divides every micro-batch (the final weights to 1e-3). When a group spans the ranks' rows, the mixing
// changes, and so does the curve (the README says so).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/train/metrics.js";
import { runMotc } from "../support/cli.js";
import { missingChecker, python, requireChecker } from "../support/checkers.js";
import { maxAbsDifference } from "../support/numbers.js";
import { curve, pythonEnv, runTrain, textTokens, writeDataset, writeProgram } from "./support.js";

const SPEC = `version 1
model mixing {
  vocab = 256
  context = 16
  d_model = 16
  embed(position = learned)
  attention(heads = 2)
  mot(experts = 4, group = 2, temp = learnable)
  head(tied = true)
}
model dense extends mixing {
  replace mot with ff()
}
model wide_groups extends mixing {
  replace mot with mot(experts = 4, group = 8, temp = learnable)
}
train mixing { steps = 8  batch = 8  lr = 2e-2  warmup = 2  eval_every = 4  checkpoint_every = 8  seed = 3 }
train dense { steps = 8  batch = 8  lr = 2e-2  warmup = 2  eval_every = 4  checkpoint_every = 8  seed = 3 }
train wide_groups { steps = 8  batch = 8  lr = 2e-2  warmup = 2  eval_every = 4  checkpoint_every = 8  seed = 3 }
`;

let dir = "";
let data = "";
let specPath = "";
let models: ModelIR[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "motc-torch-ranks-"));
  specPath = join(dir, "ranks.mot");
  writeFileSync(specPath, SPEC);
  models = checkSpec({ path: specPath, text: SPEC }).models;
  const tokens = textTokens(24_000);
  data = writeDataset(join(dir, "data"), { train: tokens.slice(0, 20_000), val: tokens.slice(20_000) });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Train losses and eval losses of a run, and its final weights. */
function outcome(run: string, model: ModelIR) {
  return { ...curve(readMetrics(join(run, "metrics.jsonl"))), weights: readCheckpoint(run, model).weights };
}

function twoRanks(model: ModelIR, extra: string[] = [], label = "2ranks"): string {
  const run = join(dir, `${model.name}-${label}`);
  process.env.MOTC_PYTHON = python;
  const result = runMotc(["train", specPath, "--model", model.name, "--engine", "torch", "--nproc", "2", "--data", data, "--out", run, ...extra], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`torch .* on cpu: 2 rank\\(s\\) × 1 micro-batch\\(es\\), fp32`));
  assert.match(result.stdout, new RegExp(`(trained|stopped) ${model.name} to step \\d/8 on torch .* cpu \\(2 ranks\\)`));
  return run;
}

function oneRank(model: ModelIR, accumulate: number): string {
  const run = join(dir, `${model.name}-1rank-${accumulate}`);
  const program = writeProgram(join(dir, `${model.name}.torch`), model, initialWeights(model, model.recipe!.seed), model.recipe);
  const result = runTrain(program, ["--data", data, "--out", run, "--accumulate", String(accumulate)]);
  assert.equal(result.status, 0, result.stderr);
  return run;
}

function maxGap(a: ReturnType<typeof outcome>, b: ReturnType<typeof outcome>): { loss: number; eval: number; weights: number } {
  assert.equal(a.train.length, b.train.length);
  assert.deepEqual(a.eval.map(([step]) => step), b.eval.map(([step]) => step));
  return {
    loss: Math.max(...a.train.map((loss, i) => Math.abs(loss - b.train[i]))),
    eval: Math.max(...a.eval.map(([, loss], i) => Math.abs(loss - b.eval[i][1]))),
    weights: Math.max(...[...a.weights].map(([name, values]) => maxAbsDifference(values, b.weights.get(name)!))),
  };
}

for (const name of ["dense", "mixing"]) {
  test(`${name}: 2 gloo ranks and 2 accumulated micro-batches equal 1 rank on the same global batch (1e-5)`, (t) => {
    if (!requireChecker(t, "python3-torch")) return;
    const model = models.find((m) => m.name === name)!;
    const single = outcome(oneRank(model, 1), model);
    for (const [label, run] of [["2 ranks", twoRanks(model)], ["1 rank × 2 micro-batches", oneRank(model, 2)]] as const) {
      const gap = maxGap(outcome(run, model), single);
      t.diagnostic(`${label} vs 1 rank: max |Δloss| ${gap.loss.toExponential(2)}, |Δeval| ${gap.eval.toExponential(2)}, |Δweight| ${gap.weights.toExponential(2)}`);
      assert.ok(gap.loss <= 1e-5 && gap.eval <= 1e-5, `${label}: ${JSON.stringify(gap)}`);
      // Weights drift a little more: AdamW turns a gradient that is all rounding into a full step of ±lr.
      assert.ok(gap.weights <= 1e-3, `${label}: ${JSON.stringify(gap)}`);
    }
    assert.ok(single.train[7] < single.train[0] - 0.3, "the loss should fall");
  });
}

test("a MoT group wider than a rank's rows mixes other tokens, and the curve changes", (t) => {
  if (missingChecker("python3-torch")) return void requireChecker(t, "python3-torch");
  const model = models.find((m) => m.name === "wide_groups")!;
  const gap = maxGap(outcome(oneRank(model, 2), model), outcome(oneRank(model, 1), model));
  t.diagnostic(`G = 8, micro-batches of 4 vs one of 8: max |Δloss| ${gap.loss.toExponential(2)}`);
  assert.ok(gap.loss > 1e-3, `the grouping did not change the losses (${gap.loss})`);
});

test("--fsdp (FSDP2, gloo): 2 sharded ranks equal DDP, and --stop-at then --resume reproduce the run exactly", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const probe = spawnSync(python, ["-c", "import inspect\nfrom torch.distributed.fsdp import fully_shard\nassert 'ignored_params' in inspect.signature(fully_shard).parameters"], { encoding: "utf8", env: pythonEnv });
  if (probe.status !== 0) return void t.skip(`${python}'s PyTorch has no FSDP2 fully_shard with ignored_params (2.7 or later), so --fsdp is refused there (MOT721)`);
  const model = models.find((m) => m.name === "mixing")!; // log_temp: a scalar FSDP2 leaves whole
  const sharded = twoRanks(model, ["--fsdp"], "fsdp");
  const gap = maxGap(outcome(sharded, model), outcome(twoRanks(model, [], "ddp"), model));
  t.diagnostic(`FSDP vs DDP: max |Δloss| ${gap.loss.toExponential(2)}, |Δweight| ${gap.weights.toExponential(2)}`);
  assert.ok(gap.loss <= 1e-5 && gap.eval <= 1e-5 && gap.weights <= 1e-3, JSON.stringify(gap));
  const stopped = twoRanks(model, ["--fsdp", "--stop-at", "3"], "fsdp-stopped");
  assert.equal(readFileSync(join(stopped, "latest"), "utf8"), "checkpoint-000003\n");
  twoRanks(model, ["--fsdp", "--resume"], "fsdp-stopped");
  const [whole, resumed] = [outcome(sharded, model), outcome(stopped, model)];
  assert.deepEqual([resumed.train, resumed.eval], [whole.train, whole.eval]);
  for (const [name, values] of whole.weights) assert.deepEqual(resumed.weights.get(name), values, name);
});
