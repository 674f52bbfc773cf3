// The tfjs training graph alone: forward + backward (tf.variableGrads of the
// loss, no optimizer) for specs/tiny.mot and its dense twin on each tfjs backend
// that starts here. Wall time and this process's CPU time per step are both
// reported: on a shared machine wall time swings with the load, CPU time less.
// (bench/train.ts times the whole `motc train` step against PyTorch.)
// Run: npx tsc -p . && node dist/bench/train-backends.js [--backends wasm,cpu] [--timed N] [--profile]
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkSpec } from "../src/check/index.js";
import { readText } from "../src/base/files.js";
import { initialWeights } from "../src/ir/init.js";
import type { ModelIR } from "../src/ir/model.js";
import { Random } from "../src/ir/random.js";
import { createTrainingGraph, selectBackend, type BackendPreference, type TF } from "../src/tfjs/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const { values: flags } = parseArgs({
  options: {
    spec: { type: "string", default: join(root, "specs/tiny.mot") },
    models: { type: "string", default: "tiny,tiny_dense" },
    backends: { type: "string", default: "wasm,cpu" },
    timed: { type: "string", default: "10" },
    profile: { type: "boolean", default: false },
  },
});

interface Timing {
  wallMs: number;
  cpuMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timeSteps(tf: TF, model: ModelIR, batch: number, steps: number, warmup: number): Timing {
  const graph = createTrainingGraph(tf, model, initialWeights(model, 0));
  const random = new Random(0, "bench");
  const ids = () => tf.tensor2d(Array.from({ length: batch * model.context }, () => random.int(model.vocab)), [batch, model.context], "int32");
  const inputs = ids();
  const targets = ids();
  const step = () => {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => graph.loss(inputs, targets));
      value.dataSync();
      for (const grad of Object.values(grads)) grad.dataSync();
    });
  };
  for (let i = 0; i < warmup; i++) step();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    step();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  graph.dispose();
  tf.dispose([inputs, targets]);
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

async function profileStep(tf: TF, model: ModelIR, batch: number): Promise<void> {
  const graph = createTrainingGraph(tf, model, initialWeights(model, 0));
  const ids = tf.zeros([batch, model.context], "int32") as import("@tensorflow/tfjs-core").Tensor2D;
  const info = await tf.profile(() => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => graph.loss(ids, ids));
      for (const grad of Object.values(grads)) grad.dataSync();
    });
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const kernel of info.kernels) {
    const key = `${kernel.name} ${JSON.stringify(kernel.inputShapes)}`;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += Number(kernel.kernelTimeMs);
    entry.calls++;
    byKernel.set(key, entry);
  }
  console.log(`\n${model.name}: the 12 costliest kernels of one step (wall ms, calls)`);
  for (const [key, { ms, calls }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
    console.log(`  ${ms.toFixed(1).padStart(7)} ${String(calls).padStart(4)}  ${key}`);
  }
  graph.dispose();
  ids.dispose();
}

async function main(): Promise<void> {
  const result = checkSpec({ path: flags.spec, text: readText(flags.spec) });
  const names = flags.models.split(",");
  const models = names.map((name) => {
    const model = result.models.find((m) => m.name === name);
    if (!model) throw new Error(`${flags.spec}: no model ${name}`);
    return model;
  });
  const batch = models[0].recipe?.batch ?? 16;
  const tokens = batch * models[0].context;
  console.log(`tfjs forward + backward, batch ${batch} × context ${models[0].context} = ${tokens} tokens/step; median of ${flags.timed} steps (cpu backend: 2)\n`);
  console.log(`| backend | model | wall ms/step | CPU ms/step | tokens/s (wall) | tokens/s (CPU) |`);
  console.log(`|---------|-------|-------------:|------------:|----------------:|---------------:|`);
  const ratios: string[] = [];
  for (const name of flags.backends.split(",") as BackendPreference[]) {
    let tf: TF;
    try {
      ({ tf } = await selectBackend(name, () => {}));
    } catch (error) {
      console.log(`| ${name} | — | unavailable: ${(error as Error).message} | | | |`);
      continue;
    }
    const slow = name === "cpu";
    const timings = models.map((model) => timeSteps(tf, model, batch, slow ? 2 : Number(flags.timed), slow ? 1 : 3));
    models.forEach((model, i) => {
      const { wallMs, cpuMs } = timings[i];
      console.log(`| ${name} | ${model.name} | ${wallMs.toFixed(1)} | ${cpuMs.toFixed(1)} | ${Math.round((tokens / wallMs) * 1000)} | ${Math.round((tokens / cpuMs) * 1000)} |`);
    });
    if (timings.length === 2) {
      ratios.push(`${name}: ${models[0].name}/${models[1].name} step = ${(timings[0].wallMs / timings[1].wallMs).toFixed(2)}× wall, ${(timings[0].cpuMs / timings[1].cpuMs).toFixed(2)}× CPU`);
    }
    if (flags.profile && !slow) for (const model of models) await profileStep(tf, model, batch);
  }
  console.log(`\n${ratios.join("\n")}`);
}

await main();
