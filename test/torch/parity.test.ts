// The two training engines, step for step: 10 updates of train.py (PyTorch)
// and of motc's TensorFlow.js step (src/train/loop.ts) from the same initial
// weights on the same batches (CONTRACTS 2, drawn here from the same prepared
// dataset) give the same loss at every step to 1e-4, for a MoT model whose
// temperature is annealed over the last steps and for a model of every other
// dense layer and option. Sparse moe layers route by discrete choices: their
// loss and gradients from the same weights agree to 1e-5 of the gradients'
// scale, but AdamW turns gradients that are all rounding into steps of ±lr,
// and after a few steps a near tie (a top-2 margin of 7e-6 was seen) routes a
// token differently in the two engines, so their curves part; the test holds
// moe to the gradients of its first step.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import type { ModelIR, Recipe } from "../../src/ir/model.js";
import { Random } from "../../src/ir/random.js";
import { createTrainingGraph, selectBackend } from "../../src/tfjs/index.js";
import type { Batch } from "../../src/train/data.js";
import { optimizerFor, trainStep } from "../../src/train/loop.js";
import { learningRate } from "../../src/train/schedule.js";
import { annealTemperatures } from "../../src/train/temperature.js";
import { requireChecker } from "../support/checkers.js";
import { moeSpecModel } from "../support/moe.js";
import { smallModel, smallRecipe } from "../train/fixture.js";
import { curve, runForward, runTrain, textTokens, writeDataset, writeProgram } from "./support.js";

const STEPS = 10;
const dir = mkdtempSync(join(tmpdir(), "motc-torch-parity-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const tokens = textTokens(24_000);
const train = tokens.slice(0, 20_000);
const data = writeDataset(join(dir, "data"), { train, val: tokens.slice(20_000) }, { shardTokens: 6_000 });

/** CONTRACTS 2's batch of update `step`, drawn from the train split's tokens. */
function contractBatch(recipe: Recipe, step: number): Batch {
  const { batch, context, seed } = recipe;
  const random = new Random(seed, `data.batch.${step}`);
  const inputs = new Int32Array(batch * context);
  const targets = new Int32Array(batch * context);
  for (let row = 0; row < batch; row++) {
    const start = random.index(train.length - context);
    inputs.set(train.slice(start, start + context), row * context);
    targets.set(train.slice(start + 1, start + 1 + context), row * context);
  }
  return { batch, context, inputs, targets };
}

async function tfjsLosses(model: ModelIR, recipe: Recipe): Promise<number[]> {
  const { tf } = await selectBackend((process.env.MOTC_TEST_BACKEND ?? "wasm") as "wasm", () => {});
  const graph = createTrainingGraph(tf, model, initialWeights(model, recipe.seed), { seed: recipe.seed });
  const optimizer = optimizerFor(tf, model, graph, recipe);
  try {
    return Array.from({ length: STEPS }, (_, i) => {
      const loss = trainStep(tf, graph, optimizer, contractBatch(recipe, i + 1), learningRate(recipe, i + 1), recipe.clip).loss;
      annealTemperatures(tf, graph, model, recipe, i + 1);
      return loss;
    });
  } finally {
    optimizer.dispose();
    graph.dispose();
  }
}

const FEATURES = `version 1
model features {
  vocab = 256
  context = 16
  d_model = 16
  norm = rmsnorm
  embed(position = sinusoidal)
  attention(heads = 2, bias = true)
  glu(size = 24, activation = gelu)
  attention(heads = 4)
  ff(size = 40, activation = gelu)
  head(tied = false)
}
train features { steps = 10  batch = 8  lr = 1e-2  warmup = 2  eval_every = 5  checkpoint_every = 10  seed = 5 }
`;

const cases: { label: string; model: ModelIR; recipe: Recipe }[] = [];
{
  const recipe = smallRecipe({ steps: STEPS, warmup: 2, lr: 2e-2, evalEvery: 5, checkpointEvery: 10, temp: { kind: "anneal", final: 0.05, start: 0.5 } });
  cases.push({ label: "attention + MoT (learnable τ, annealed from step 6)", model: smallModel(recipe), recipe });
  const features = checkSpec({ path: "features.mot", text: FEATURES }).models[0];
  cases.push({ label: "rmsnorm, sinusoidal positions, attention biases, glu, gelu ff, untied head", model: features, recipe: features.recipe! });
}

for (const { label, model, recipe } of cases) {
  test(`${label}: 10 torch steps equal 10 tfjs steps on the same batches (|Δloss| ≤ 1e-4)`, async (t) => {
    if (!requireChecker(t, "python3-torch")) return;
    const program = writeProgram(join(dir, `${model.name}.torch`), model, initialWeights(model, recipe.seed), recipe);
    const run = runTrain(program, ["--data", data, "--out", join(dir, `${model.name}-run`)]);
    assert.equal(run.status, 0, run.stderr);
    const theirs = curve(run.records).train;
    const ours = await tfjsLosses(model, recipe);
    const gap = Math.max(...ours.map((loss, i) => Math.abs(loss - theirs[i])));
    t.diagnostic(`max |Δloss| = ${gap.toExponential(2)}; loss ${ours[0].toFixed(4)} → ${ours[STEPS - 1].toFixed(4)}`);
    assert.equal(theirs.length, STEPS);
    assert.ok(ours[STEPS - 1] < ours[0] - 0.3, `the loss should fall: ${ours[0]} → ${ours[STEPS - 1]}`);
    t.diagnostic(ours.map((loss, i) => (loss - theirs[i]).toExponential(1)).join(" "));
    for (let i = 0; i < STEPS; i++) assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-4, `step ${i + 1}: tfjs ${ours[i]} vs torch ${theirs[i]}`);
  });
}

test("moe token choice (top-2, capacity drops, aux loss) and expert choice (leftover group): the first step's loss and gradients equal tfjs's", async (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const recipe = smallRecipe({ steps: STEPS, batch: 6, context: 12, seed: 4 });
  const model: ModelIR = { ...moeSpecModel(), vocab: 256, recipe };
  const weights = initialWeights(model, recipe.seed);
  const batch = contractBatch(recipe, 1);
  const rows = (values: Int32Array) => Array.from({ length: batch.batch }, (_, b) => Array.from(values.subarray(b * batch.context, (b + 1) * batch.context)));
  const program = writeProgram(join(dir, "moe.torch"), model, weights, recipe);
  const [torch] = runForward(join(dir, "moe-grads"), [{ program, weights: join(program, "initial"), ids: rows(batch.inputs), targets: rows(batch.targets) }]);

  const { tf } = await selectBackend((process.env.MOTC_TEST_BACKEND ?? "wasm") as "wasm", () => {});
  const graph = createTrainingGraph(tf, model, weights, { seed: recipe.seed });
  try {
    const { value, grads } = tf.variableGrads(() => graph.loss(tf.tensor2d(rows(batch.inputs), [batch.batch, batch.context], "int32"), tf.tensor2d(rows(batch.targets), [batch.batch, batch.context], "int32")));
    const loss = value.dataSync()[0];
    assert.ok(Math.abs(loss - torch.loss!) <= 1e-5, `loss: tfjs ${loss} vs torch ${torch.loss}`);
    let worst = 0;
    for (const [name, gradient] of Object.entries(grads)) {
      const ours = gradient.dataSync();
      const theirs = torch.grads![name];
      const scale = Math.max(...theirs.map(Math.abs));
      const gap = Math.max(...theirs.map((g, i) => Math.abs(g - ours[i])));
      worst = Math.max(worst, gap / scale);
      assert.ok(gap <= 1e-5 * scale + 1e-9, `${name}: max |Δgradient| ${gap} (max |gradient| ${scale})`);
    }
    t.diagnostic(`loss ${loss.toFixed(6)} vs ${torch.loss!.toFixed(6)}; max |Δgradient| / max |gradient| = ${worst.toExponential(2)}`);
    assert.ok(torch.aux.length === 1 && torch.aux[0] > 0.01, `the aux loss was taken: ${torch.aux}`);
  } finally {
    graph.dispose();
  }
});
