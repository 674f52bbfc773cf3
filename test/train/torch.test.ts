// The whole training step against an independent PyTorch implementation
// (test/reference/torch_model.py: its own model code, torch.optim.AdamW,
// clip_grad_norm_): the same initial weights, batches and learning rates give
// the same loss curve.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesTokenizer } from "../../src/base/tokenizer.js";
import { initialWeights } from "../../src/ir/init.js";
import { createTrainingGraph, selectBackend } from "../../src/tfjs/index.js";
import { trainingBatch } from "../../src/data/batches.js";
import { MemoryTokens } from "../../src/data/dataset.js";
import { optimizerFor, trainStep } from "../../src/train/loop.js";
import { learningRate } from "../../src/train/schedule.js";
import { torchParityLosses } from "../reference/torch.js";
import { python, requireChecker } from "../support/checkers.js";
import { smallModel, smallRecipe } from "./fixture.js";

test("10 training steps match PyTorch's loss curve to 1e-4", async (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const recipe = smallRecipe({ steps: 10, warmup: 2, lr: 2e-2 });
  const model = smallModel(recipe);
  const text = "The jury said it did find that many of Georgia's registration and election laws are outmoded. ".repeat(40);
  const tokens = new MemoryTokens(Int32Array.from(bytesTokenizer.encode(text)));
  const batches = Array.from({ length: recipe.steps }, (_, i) => trainingBatch(tokens, recipe.context, recipe.batch, recipe.seed, i + 1));
  const lrs = batches.map((_, i) => learningRate(recipe, i + 1));
  const weights = initialWeights(model, recipe.seed);
  const theirs = torchParityLosses(python, { model, recipe, weights, batches, lrs });

  const { tf } = await selectBackend((process.env.MOTC_TEST_BACKEND ?? "wasm") as "wasm", () => {});
  const graph = createTrainingGraph(tf, model, weights, { seed: recipe.seed });
  const optimizer = optimizerFor(tf, model, graph, recipe);
  const ours = batches.map((batch, i) => trainStep(tf, graph, optimizer, batch, lrs[i], recipe.clip).loss);
  optimizer.dispose();
  graph.dispose();

  assert.equal(theirs.length, 10);
  assert.ok(ours[9] < ours[0] - 0.5, `the loss should fall: ${ours[0]} → ${ours[9]}`);
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-4, `step ${i + 1}: tfjs ${ours[i]} vs PyTorch ${theirs[i]}`);
});
