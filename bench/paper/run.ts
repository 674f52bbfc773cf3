// bench/paper: the Mixture of Tokens paper's claim — MoT reaches a dense
// transformer's loss in fewer steps at about the same compute — scaled down to 2
// CPU cores, as a fair comparison: every model of bench/paper/paper.mot gets a
// short learning-rate sweep, then trains at its own best learning rate with three
// seeds. Every run is `motc train` as a user runs it (a child process), so the
// same bench measures either engine. Then the MoT model's routing entropy and its
// transition-tuned twins. Writes bench/paper/REPORT.md, results.json and loss.svg.
//
// Run: npm run build && node dist/bench/paper/run.js [--jobs 2] [--engine tfjs|torch]
//        [--models dense,mot,...] [--sweep-steps 1000] [--sweep-lrs 5e-3,...] [--lrs dense=0.02,...]
//        [--steps 3000] [--seeds 0,1,2] [--render-only]
// Runs already complete in --out are kept, so an interrupted bench continues where it stopped.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../src/base/files.js";
import { loadModel } from "../../src/cli/spec.js";
import { modelCost } from "../../src/ir/cost.js";
import { readMetrics, type EvalRecord, type TrainRecord } from "../../src/train/metrics.js";
import { curvesSvg, type Curve } from "./plot.js";
import { renderReport, resultsJson, type OtherResults } from "./report.js";
import { runAll, type Job } from "./jobs.js";
import { routingEntropies, transitionRuns, type TransitionResult } from "./extras.js";
import type { BenchResults, ModelResult, RunResult } from "./results.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const { values: flags } = parseArgs({
  options: {
    models: { type: "string", default: "dense,mot,mot_e32,moe_token,moe_expert" },
    engine: { type: "string", default: "tfjs" },
    jobs: { type: "string", default: "1" },
    "sweep-steps": { type: "string", default: "1000" },
    "sweep-lrs": { type: "string", default: "5e-3,1e-2,2e-2,4e-2" },
    lrs: { type: "string" },
    steps: { type: "string" },
    seeds: { type: "string", default: "0,1,2" },
    out: { type: "string", default: join(root, "out/bench-paper") },
    report: { type: "string", default: join(root, "bench/paper") },
    "render-only": { type: "boolean", default: false },
  },
});
const spec = join(root, "bench/paper/paper.mot");
const names = flags.models.split(",");
const engine = flags.engine;
const sweepSteps = Number(flags["sweep-steps"]);
const sweepLrs = flags["sweep-lrs"].split(",").map(Number);
const seeds = flags.seeds.split(",").map(Number);
const models = new Map(names.map((name) => [name, loadModel(spec, name)]));
const steps = flags.steps === undefined ? models.get(names[0])!.recipe!.steps : Number(flags.steps);
const outRoot = join(flags.out, engine);
const motc = join(root, "dist/src/cli/main.js");

/** One training run's directory: engine/model/lr-…-seed-…-steps-…/ */
function runDir(model: string, lr: number, seed: number, runSteps: number): string {
  return join(outRoot, model, `lr-${lr}-seed-${seed}-steps-${runSteps}`);
}

function trainJob(model: string, lr: number, seed: number, runSteps: number): Job {
  const out = runDir(model, lr, seed, runSteps);
  const args = ["train", spec, "-m", model, "--lr", String(lr), "--seed", String(seed), "--steps", String(runSteps),
    "--eval-every", String(Math.max(1, Math.round(runSteps / 30))), "--checkpoint-every", String(runSteps), "--out", out];
  if (engine !== "tfjs") args.push("--engine", engine);
  return { label: `${model} lr ${lr} seed ${seed} ${runSteps} steps`, out, command: [process.execPath, motc, ...args], done: () => complete(out, runSteps) };
}

/** A run is complete when its metrics reach the last step's evaluation. */
function complete(out: string, runSteps: number): boolean {
  const path = join(out, "metrics.jsonl");
  return existsSync(path) && readMetrics(path).some((r) => r.kind === "eval" && r.step === runSteps);
}

function runResult(model: string, lr: number, seed: number, runSteps: number): RunResult {
  const out = runDir(model, lr, seed, runSteps);
  const records = readMetrics(join(out, "metrics.jsonl"));
  const usage = JSON.parse(readFileSync(join(out, "usage.json"), "utf8")) as { cpuSeconds: number; wallSeconds: number; loadAverage: number };
  return {
    lr, seed, steps: runSteps,
    eval: records.filter((r): r is EvalRecord => r.kind === "eval").map((r) => [r.step, r.eval_loss]),
    train: records.filter((r): r is TrainRecord => r.kind === "train").map((r) => [r.step, r.loss]),
    cpuSecondsPerStep: usage.cpuSeconds / runSteps,
    loadAverage: usage.loadAverage,
  };
}

const jobs = Number(flags.jobs);
const finalLoss = (run: RunResult) => run.eval[run.eval.length - 1][1];

// 1. The sweep: every model at every learning rate, seed 0, sweepSteps steps, all
// models' runs queued together. Where a model's best lr is at an end of the grid,
// the grid grows by ×2 (or ÷2) that way, up to twice, so no model is judged at an lr
// it would have wanted to pass. A model given in --lrs skips the sweep (e.g. the
// torch engine at the lrs the tfjs sweep chose).
const given = new Map((flags.lrs ?? "").split(",").filter(Boolean).map((pair) => {
  const [m, lr] = pair.split("=");
  return [m, Number(lr)] as [string, number];
}));
// --render-only reads every lr the sweep ran, its extensions included, from the run directories.
const ranLrs = (m: string) => (existsSync(join(outRoot, m)) ? readdirSync(join(outRoot, m)) : [])
  .map((name) => new RegExp(`^lr-([0-9.e-]+)-seed-0-steps-${sweepSteps}$`).exec(name)?.[1])
  .filter((lr): lr is string => lr !== undefined).map(Number).sort((a, b) => a - b);
const grids = new Map(names.filter((m) => !given.has(m)).map((m) => [m, flags["render-only"] ? ranLrs(m) : [...sweepLrs]]));
const sweeps = new Map<string, RunResult[]>();
for (let extensions = 0; ; extensions++) {
  const queued = [...grids].flatMap(([m, lrs]) => lrs.map((lr) => trainJob(m, lr, 0, sweepSteps)));
  if (!flags["render-only"]) await runAll(queued, jobs);
  let grew = false;
  for (const [m, lrs] of grids) {
    const runs = lrs.filter((lr) => complete(runDir(m, lr, 0, sweepSteps), sweepSteps)).map((lr) => runResult(m, lr, 0, sweepSteps));
    sweeps.set(m, runs);
    const best = bestOf(runs);
    if (extensions === 2 || flags["render-only"]) continue;
    if (best.lr === lrs[lrs.length - 1]) grids.set(m, [...lrs, roundLr(best.lr * 2)]);
    else if (best.lr === lrs[0]) grids.set(m, [roundLr(best.lr / 2), ...lrs]);
    else continue;
    grew = true;
  }
  if (!grew) break;
}
const bestLr = new Map(names.map((m) => [m, given.get(m) ?? bestOf(sweeps.get(m)!).lr]));

function bestOf(runs: RunResult[]): RunResult {
  const finite = runs.filter((run) => Number.isFinite(finalLoss(run)));
  return finite.reduce((best, run) => (finalLoss(run) < finalLoss(best) ? run : best));
}

function roundLr(lr: number): number {
  return Number(lr.toPrecision(2));
}

// 2. Each model at its own best learning rate, every seed, the full steps.
if (!flags["render-only"]) await runAll(names.flatMap((m) => seeds.map((seed) => trainJob(m, bestLr.get(m)!, seed, steps))), jobs);
const results: ModelResult[] = names.map((name) => {
  const model = models.get(name)!;
  return {
    name, model,
    cost: modelCost(model),
    sweep: (sweeps.get(name) ?? []).map((run) => ({ lr: run.lr, finalLoss: finalLoss(run) })).sort((x, y) => x.lr - y.lr),
    lr: bestLr.get(name)!,
    runs: seeds.map((seed) => runResult(name, bestLr.get(name)!, seed, steps)),
  };
});

// 3. The MoT model's routing entropy and its transition-tuned twins (seed 0).
const mot = results.find((r) => r.name === "mot");
let transitions: TransitionResult[] = [];
if (mot) {
  const weights = runDir("mot", mot.lr, seeds[0], steps);
  mot.entropies = await routingEntropies(mot.model, weights);
  transitions = await transitionRuns({ motc, spec, model: "mot", weights, out: join(outRoot, "transition"), lr: mot.lr, render: flags["render-only"] });
}

const bench: BenchResults = {
  engine, machine: `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}`, loadAverageAtEnd: loadavg()[0],
  sweepSteps, steps, seeds, models: results, transitions,
};
mkdirSync(flags.report, { recursive: true });
const suffix = engine === "tfjs" ? "" : `.${engine}`;
writeFileAtomic(join(flags.report, `results${suffix}.json`), JSON.stringify(resultsJson(bench), jsonNumbers, 1) + "\n");
const curves: Curve[] = results.map((r) => ({ label: `${r.name} (lr ${r.lr})`, eval: r.runs[0].eval, train: r.runs[0].train }));
writeFileAtomic(join(flags.report, `loss${suffix}.svg`), curvesSvg(curves, {
  title: `bench/paper — held-out loss (seed ${seeds[0]}; lines) and smoothed train loss (faint)`, steps, reference: undefined,
}));
// The command that reproduces this report: the flags as given, less where this copy's files went.
const shown = process.argv.slice(2).filter((arg, i, args) => arg !== "--render-only" && !["--out", "--report"].includes(arg) && !["--out", "--report"].includes(args[i - 1]));
const command = `npm run build && node dist/bench/paper/run.js ${shown.join(" ")}`.trimEnd();
// Another engine's results beside this one (the tfjs engine's results.json, when this is torch): say whether they agree.
const otherPath = join(flags.report, "results.json");
const other = engine !== "tfjs" && existsSync(otherPath) ? (JSON.parse(readFileSync(otherPath, "utf8")) as OtherResults) : undefined;
const report = renderReport(bench, { command, svg: `loss${suffix}.svg`, other });
writeFileAtomic(join(flags.report, `REPORT${suffix}.md`), report);
console.log(report);

/** Losses to 6 significant digits in results.json: byte-stable and readable. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value) ? Number(value.toPrecision(6)) : value;
}
