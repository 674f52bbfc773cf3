// The whole training step against an independent PyTorch implementation
// (bench/train_torch.py: its own model code, torch.optim.AdamW, clip_grad_norm_):
// the same initial weights, batches and learning rates give the same loss curve.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { initialWeights } from "../../src/ir/init.js";
import { createTrainingGraph, selectBackend } from "../../src/tfjs/index.js";
import { writeCheckpoint } from "../../src/train/checkpoint.js";
import { BatchSampler } from "../../src/train/data.js";
import { optimizerFor, trainStep } from "../../src/train/loop.js";
import { learningRate } from "../../src/train/schedule.js";
import { bytesTokenizer } from "../../src/base/tokenizer.js";
import { writeParityBatches } from "../../bench/torch-parity.js";
import { repoRoot } from "../support/cli.js";
import { smallModel, smallRecipe } from "./fixture.js";

const python = "/usr/bin/python3";
const hasTorch = existsSync(python) && spawnSync(python, ["-c", "import torch"]).status === 0;

test("10 training steps match PyTorch's loss curve to 1e-4", { skip: hasTorch ? false : `${python} with torch is not installed` }, async () => {
  const recipe = smallRecipe({ steps: 10, warmup: 2, lr: 2e-2 });
  const model = smallModel(recipe);
  const dir = mkdtempSync(join(tmpdir(), "motc-torch-"));
  try {
    const text = "The jury said it did find that many of Georgia's registration and election laws are outmoded. ".repeat(40);
    const sampler = new BatchSampler(Int32Array.from(bytesTokenizer.encode(text)), recipe.batch, recipe.context, recipe.seed);
    const batches = Array.from({ length: recipe.steps }, () => sampler.next());
    const lrs = batches.map((_, i) => learningRate(recipe, i + 1));
    writeParityBatches(join(dir, "batches.bin"), batches, recipe);
    const weights = initialWeights(model, recipe.seed);
    writeCheckpoint(join(dir, "start"), model, 0, weights);
    const config = { models: [model], recipe, threads: 1, parity: { checkpoint: join(dir, "start"), batches: join(dir, "batches.bin"), lrs } };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    const torch = spawnSync(python, [join(repoRoot, "bench/train_torch.py"), join(dir, "config.json")], { encoding: "utf8", timeout: 60_000 });
    assert.equal(torch.status, 0, torch.stderr);
    const theirs = (JSON.parse(torch.stdout) as { losses: number[] }).losses;

    const { tf } = await selectBackend((process.env.MOTC_TEST_BACKEND ?? "wasm") as "wasm", () => {});
    const graph = createTrainingGraph(tf, model, weights, { seed: recipe.seed });
    const optimizer = optimizerFor(tf, model, graph, recipe);
    const ours = batches.map((batch, i) => trainStep(tf, graph, optimizer, batch, lrs[i], recipe.clip).loss);
    optimizer.dispose();
    graph.dispose();

    assert.equal(theirs.length, 10);
    assert.ok(ours[9] < ours[0] - 0.5, `the loss should fall: ${ours[0]} → ${ours[9]}`);
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-4, `step ${i + 1}: tfjs ${ours[i]} vs PyTorch ${theirs[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
