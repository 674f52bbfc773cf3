// moe inference benchmark: does the ONNX graph's time follow the experts each
// token actually visits? One token-choice moe layer (E = 8, d = 256, f = 1024)
// at top-1, 2, 4 and 8 (top-8 = every expert, nothing to skip), and expert choice
// with groups of 8 at k = 1, 2, 8 rows per expert. onnxruntime-node CPU, one
// thread, best of --repeats timed runs after one warm-up. Each run is timed twice:
// wall clock, and the process's CPU time (user + system); on a shared machine the
// wall clock includes waiting for a core, the CPU time shows the work.
//
// Run: npx tsc -p . && node dist/bench/moe.js [--batch 16] [--length 64] [--repeats 3]
import * as ort from "onnxruntime-node";
import { initialWeights } from "../src/ir/init.js";
import type { ModelIR } from "../src/ir/model.js";
import type { MixtureOfExpertsLayer } from "../src/ir/layers/moe.js";
import { lowerToOnnx } from "../src/onnx/index.js";

const D_MODEL = 256;
const EXPERTS = 8;
const EXPERT_SIZE = 1024;

function argument(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function model(layer: Partial<MixtureOfExpertsLayer>, context: number): ModelIR {
  const moe: MixtureOfExpertsLayer = {
    kind: "moe", init: { kind: "fan_in", scale: 1 }, index: 0, experts: EXPERTS, routing: "token_choice", topk: 1, capacity: 1, expertSize: EXPERT_SIZE, activation: "relu", auxLoss: 0, ...layer,
  } as MixtureOfExpertsLayer;
  return {
    name: "moe_bench", vocab: 256, context, dModel: D_MODEL, dFF: 4 * D_MODEL, norm: "layernorm", normEps: 1e-5, dropout: 0,
    init: { kind: "normal", std: 0.02 },
    position: "none", sublayers: [moe], tiedHead: true,
  };
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Best wall-clock and CPU seconds of `repeats` forward passes. */
async function time(ir: ModelIR, batch: number, length: number, repeats: number): Promise<Timing> {
  const session = await ort.InferenceSession.create(lowerToOnnx(ir, initialWeights(ir, 1)), {
    executionProviders: ["cpu"], intraOpNumThreads: 1, logSeverityLevel: 3,
  });
  const ids = BigInt64Array.from({ length: batch * length }, (_, i) => BigInt((i * 7919) % 256));
  const feeds = { input_ids: new ort.Tensor("int64", ids, [batch, length]) };
  await session.run(feeds);
  const best = { wall: Infinity, cpu: Infinity };
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await session.run(feeds);
    const cpu = process.cpuUsage(cpuStart);
    best.wall = Math.min(best.wall, (performance.now() - start) / 1000);
    best.cpu = Math.min(best.cpu, (cpu.user + cpu.system) / 1e6);
  }
  await session.release();
  return best;
}

async function main(): Promise<void> {
  const batch = argument("--batch", 16);
  const length = argument("--length", 64);
  const repeats = argument("--repeats", 5);
  const tokens = batch * length;
  const runs: Array<{ label: string; layer: Partial<MixtureOfExpertsLayer>; expertsPerToken: number }> = [
    ...[1, 2, 4, 8].map((topk) => ({ label: `token_choice top-${topk}`, layer: { topk }, expertsPerToken: topk })),
    // k = ceil(capacity · G / E) rows per expert and group; expert work per token = E · k / G.
    ...[1, 2, 8].map((k) => ({
      label: `expert_choice G=8 k=${k}`,
      layer: { routing: "expert_choice" as const, group: 8, capacity: (k * EXPERTS) / 8 },
      expertsPerToken: (EXPERTS * k) / 8,
    })),
  ];
  console.log(`moe layer, E=${EXPERTS} d=${D_MODEL} f=${EXPERT_SIZE}, ${batch}×${length} = ${tokens} tokens, ORT CPU 1 thread, best of ${repeats}`);
  console.log("| routing | experts/token | wall ms | CPU ms | CPU vs all experts | expert FLOPs vs all experts |");
  console.log("|---|---|---|---|---|---|");
  const results: Array<{ label: string; expertsPerToken: number; timing: Timing }> = [];
  for (const run of runs) {
    results.push({ ...run, timing: await time(model(run.layer, length), batch, length, repeats) });
  }
  const all = results.find((r) => r.label === "token_choice top-8")!.timing.cpu;
  for (const { label, expertsPerToken, timing } of results) {
    const cells = [label, expertsPerToken, (timing.wall * 1000).toFixed(1), (timing.cpu * 1000).toFixed(1), (timing.cpu / all).toFixed(3), (expertsPerToken / EXPERTS).toFixed(3)];
    console.log(`| ${cells.join(" | ")} |`);
  }
}

await main();
