// Training memory on tfjs wasm (issue 11, item 7): the wasm heap a training step
// really takes against trainingMemory()'s estimate (src/ir/memory.ts, what
// `motc summary` prints), the measurement behind the margin src/train/memory.ts
// leaves below the 4 GiB heap. Each batch runs in a fresh process, since a wasm
// heap only grows: its size after two steps (and an evaluation) is the peak.
// Run: npx tsc -p . && node dist/bench/train-memory.js [--spec FILE] [--model NAME] [--batches 1,2,4] [--context N]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkSpec } from "../src/check/index.js";
import { readText } from "../src/base/files.js";
import { initialWeights } from "../src/ir/init.js";
import { trainingMemory } from "../src/ir/memory.js";
import type { ModelIR, Recipe } from "../src/ir/model.js";
import { parameterTable, paramCount } from "../src/ir/params.js";
import { Random } from "../src/ir/random.js";
import { createTrainingGraph, selectBackend } from "../src/tfjs/index.js";
import { wasmTrainingBytes } from "../src/train/memory.js";
import { evaluate, optimizerFor, trainStep } from "../src/train/loop.js";
import type { Batch } from "../src/data/batches.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const { values: flags } = parseArgs({
  options: {
    spec: { type: "string", default: `${root}specs/mot_paper.mot` },
    model: { type: "string" },
    batches: { type: "string", default: "1,2,4,8" },
    context: { type: "string" },
    /** Internal: measure one batch in this process and print one JSON line. */
    one: { type: "string" },
  },
});

const MiB = 2 ** 20;

function loadModel(): ModelIR {
  const models = checkSpec({ path: flags.spec, text: readText(flags.spec) }).models;
  const model = flags.model ? models.find((m) => m.name === flags.model) : models[0];
  if (!model) throw new Error(`${flags.spec}: no model ${flags.model}`);
  return model;
}

function randomBatch(random: Random, vocab: number, batch: number, context: number): Batch {
  const draw = () => Int32Array.from({ length: batch * context }, () => random.int(vocab));
  return { batch, context, inputs: draw(), targets: draw() };
}

/** One process, one batch: two training steps and an evaluation, then the heap's size. */
async function measure(model: ModelIR, batch: number, context: number): Promise<void> {
  const { tf } = await selectBackend("wasm", () => {});
  const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
  const started = heap();
  const recipe: Recipe = { ...(model.recipe as Recipe), batch, context };
  const graph = createTrainingGraph(tf, model, initialWeights(model, 0), { seed: 0 });
  const optimizer = optimizerFor(tf, model, graph, recipe);
  const afterWeights = heap();
  const random = new Random(0, "bench.memory");
  const t0 = performance.now();
  for (let step = 1; step <= 2; step++) {
    graph.step = step;
    trainStep(tf, graph, optimizer, randomBatch(random, model.vocab, batch, context), 1e-3, 1);
  }
  const stepMs = (performance.now() - t0) / 2;
  evaluate(tf, graph, [randomBatch(random, model.vocab, batch, context)]);
  console.log(JSON.stringify({ batch, started, afterWeights, peak: heap(), stepMs }));
}

async function main(): Promise<void> {
  const model = loadModel();
  const context = Number(flags.context ?? model.recipe?.context ?? model.context);
  if (flags.one) return measure(model, Number(flags.one), context);
  const params = parameterTable(model).reduce((sum, p) => sum + paramCount(p.shape), 0);
  console.log(`${model.name}: ${params.toLocaleString("en-US")} params, context ${context}, tfjs wasm; heap after 2 steps + 1 evaluation`);
  console.log("batch | summary's bound (MiB) | motc's wasm figure | heap at start | after weights + moments | peak heap | figure / peak | step");
  for (const batch of flags.batches.split(",").map(Number)) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--spec", flags.spec, ...(flags.model ? ["--model", flags.model] : []), "--context", String(context), "--one", String(batch)], { encoding: "utf8" });
    const line = child.stdout.trim().split("\n").pop() ?? "";
    const estimate = trainingMemory(model, params, batch, context).bytes.total;
    const figure = wasmTrainingBytes(model, params, batch, context);
    const head = `${batch} | ${(estimate / MiB).toFixed(0)} | ${(figure / MiB).toFixed(0)}`;
    if (child.status !== 0 || !line.startsWith("{")) {
      console.log(`${head} | failed: ${child.stderr.trim().split("\n").find((l) => /Error|Aborted/.test(l)) ?? `exit ${child.status}`}`);
      continue;
    }
    const r = JSON.parse(line) as { started: number; afterWeights: number; peak: number; stepMs: number };
    console.log(`${head} | ${(r.started / MiB).toFixed(0)} | ${(r.afterWeights / MiB).toFixed(0)} | ${(r.peak / MiB).toFixed(0)} | ${(figure / r.peak).toFixed(2)} | ${(r.stepMs / 1000).toFixed(1)} s`);
  }
}

await main();
