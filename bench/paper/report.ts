// REPORT.md and results.json of bench/paper: the sweep, each model at its own best
// learning rate over several seeds, the steps each needs to reach the best dense
// model's final loss, FLOPs (routing included) and CPU time per step, next to the
// paper's table. Pure: results in, text out.
import { formatArgs, sublayerArgs } from "../../src/review/describe.js";
import type { ModelIR } from "../../src/ir/model.js";
import type { BenchResults, ModelResult, RunResult } from "./results.js";

/** The paper's v1 table (4 blocks, d=256, G=32, E=512, C4). */
const PAPER = { dense: [4.2245, 4.0026], mot: [4.0359, 3.7989], steps: [50_000, 250_000], reachFraction: 0.25, stepRatio: 1.25, flopRatio: 1.75 };
/** The issue's goal: MoT reaches the best dense model's final loss within this fraction of the steps. */
const GOAL_FRACTION = 0.7;

export interface Summary {
  name: string;
  lr: number;
  /** Mean and half-range over seeds of the held-out loss at 20% and 100% of the steps. */
  early: Spread;
  final: Spread;
  /** Per seed: the step at which held-out loss first reaches the target (linear between evaluations), or null. */
  reach: (number | null)[];
  flopsPerToken: number;
  flopsVsDense: number;
  cpuMsPerStep: number;
  cpuVsDense: number;
}

export interface Spread {
  mean: number;
  halfRange: number;
  values: number[];
}

/** The best dense model's final loss: the dense model at its best lr, mean over seeds. */
export function denseTarget(bench: BenchResults): number | undefined {
  const dense = bench.models.find((m) => m.name === "dense");
  return dense ? spread(dense.runs.map(finalLoss)).mean : undefined;
}

export function summarize(bench: BenchResults): Summary[] {
  const target = denseTarget(bench);
  const dense = bench.models.find((m) => m.name === "dense");
  const early = Math.round(bench.steps * (PAPER.steps[0] / PAPER.steps[1]));
  const cpu = (m: ModelResult) => spread(m.runs.map((r) => r.cpuSecondsPerStep * 1000)).mean;
  return bench.models.map((m) => ({
    name: m.name,
    lr: m.lr,
    early: spread(m.runs.map((r) => lossAt(r.eval, early))),
    final: spread(m.runs.map(finalLoss)),
    reach: m.runs.map((r) => (target === undefined ? null : stepsToReach(r.eval, target))),
    flopsPerToken: m.cost.flopsPerToken,
    flopsVsDense: dense ? m.cost.flopsPerToken / dense.cost.flopsPerToken : 1,
    cpuMsPerStep: cpu(m),
    cpuVsDense: dense ? cpu(m) / cpu(dense) : 1,
  }));
}

/** results.json: per model and seed the lr, final loss, steps, steps to the best dense final loss and the curve. */
export function resultsJson(bench: BenchResults): unknown {
  const summaries = summarize(bench);
  return {
    schema: "motc.bench-paper/1",
    engine: bench.engine,
    steps: bench.steps,
    sweep_steps: bench.sweepSteps,
    dense_final_loss: denseTarget(bench) ?? null,
    models: bench.models.map((m, i) => ({
      name: m.name,
      ffn: ffnText(m.model),
      lr: m.lr,
      params: m.cost.params,
      flops_per_token: m.cost.flopsPerToken,
      flops_vs_dense: summaries[i].flopsVsDense,
      cpu_ms_per_step: summaries[i].cpuMsPerStep,
      sweep: m.sweep.map((s) => ({ lr: s.lr, final_loss: s.finalLoss })),
      seeds: m.runs.map((run, k) => ({
        seed: run.seed, lr: run.lr, steps: run.steps, final_loss: finalLoss(run), steps_to_dense_final: summaries[i].reach[k],
        eval_curve: run.eval,
      })),
      entropies: m.entropies ?? null,
    })),
    transitions: bench.transitions,
  };
}

/** results.json as another engine's run wrote it: what the engine comparison reads. */
export interface OtherResults {
  engine: string;
  dense_final_loss: number | null;
  models: { name: string; seeds: { seed: number; lr: number; final_loss: number; steps_to_dense_final: number | null; eval_curve: [number, number][] }[] }[];
}

export function renderReport(bench: BenchResults, options: { command: string; svg: string; other?: OtherResults }): string {
  const summaries = summarize(bench);
  const target = denseTarget(bench);
  const first = bench.models[0];
  const recipe = first.model.recipe!;
  const early = Math.round(bench.steps * (PAPER.steps[0] / PAPER.steps[1]));
  const lines: string[] = [];
  const add = (...text: string[]) => lines.push(...text);
  add(
    `# bench/paper — Mixture of Tokens vs dense (and sparse MoE), scaled down${bench.engine === "tfjs" ? "" : ` — ${bench.engine} engine`}`,
    "",
    "Regenerate (writes this file, `results.json` and the picture; the models are in `bench/paper/paper.mot`):",
    "",
    "```sh",
    options.command,
    "```",
    "",
    `![held-out loss](${options.svg})`,
    "",
    ...standing(bench, summaries, target),
    "## How it is scaled",
    "",
    "| | paper v1 | here |",
    "|---|---|---|",
    `| data | C4, GPT-2 tokens | Brown corpus (bundled), bytes (vocab 256); held-out split |`,
    `| blocks, d_model, heads | 4, 256, 4 | ${blocks(first.model)}, ${first.model.dModel}, ${heads(first.model)} |`,
    `| context × batch | 256 × 256 | ${recipe.context} × ${recipe.batch} |`,
    `| MoT group G, experts E, expert size f | 32, 512, 64 (16 experts per mixed token) | ${motShape(bench.models)} |`,
    `| steps | 250,000 | ${bench.steps} (equal-step columns at ${early} = 20% and ${bench.steps}, like 50K and 250K) |`,
    `| recipe | AdamW, cosine, lr tuned per model (dense 4e-3, MoT 2e-3) | AdamW(${recipe.optimizer.beta1}, ${recipe.optimizer.beta2}, wd ${recipe.optimizer.weightDecay}), warm-up ${recipe.warmup} steps, cosine to ${scheduleFinal(recipe)}, clip ${recipe.clip}; lr per model from the sweep below; seeds ${bench.seeds.join(", ")} |`,
    `| initialisation | llm-random's truncated normal, std √(1/fan_in) | \`mot\`/\`moe\`: \`fan_in(scale = 1)\` (the paper's); the rest \`normal(std = 0.02)\` |`,
    `| hardware | GPUs | motc ${bench.engine} on ${bench.machine}, shared with other jobs (CPU time per step is the comparable figure) |`,
    "",
    "Every model has the same embedding, attention and head; only the feed-forward sublayers differ. Held-out loss: mean " +
      `next-token cross-entropy (nats/byte) on the first 8 held-out batches, every ${Math.round(bench.steps / 30)} steps.`,
    "",
    "## Models",
    "",
    "| model | FFN sublayer | params | FLOPs/token (forward, routing included) | vs dense |",
    "|---|---|---:|---:|---:|",
    ...bench.models.map((m, i) => `| ${m.name} | ${ffnText(m.model)} | ${n(m.cost.params)} | ${n(m.cost.flopsPerToken)} | ${summaries[i].flopsVsDense.toFixed(3)}× |`),
    "",
    ...sweepTable(bench),
    `## Results (${bench.steps} steps, ${bench.seeds.length} seeds, each model at its own lr)`,
    "",
    `The target is the best dense model's final held-out loss, ${target === undefined ? "-" : target.toFixed(4)} (mean of its seeds).`,
    "",
    `| model | lr | held-out @ ${early} | held-out @ ${bench.steps} | Δ vs dense @ ${bench.steps} | steps to the dense target, per seed | mean | FLOPs vs dense | CPU ms/step | vs dense |`,
    "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ...summaries.map((s) => {
      const reached = s.reach.filter((r): r is number => r !== null);
      const mean = reached.length === s.reach.length ? `${pct(avg(reached) / bench.steps)}` : `${s.reach.length - reached.length} of ${s.reach.length} never`;
      return `| ${s.name} | ${s.lr} | ${pm(s.early)} | ${pm(s.final)} | ${target === undefined ? "-" : signed(s.final.mean - target)} | ` +
        `${s.reach.map((r) => (r === null ? "never" : `${Math.round(r)} (${pct(r / bench.steps)})`)).join(", ")} | ${mean} | ` +
        `${s.flopsVsDense.toFixed(2)}× | ${s.cpuMsPerStep.toFixed(0)} | ${s.cpuVsDense.toFixed(2)}× |`;
    }),
    "",
    "Held-out losses are mean ± half the range over the seeds. \"Steps to the dense target\": the first step at which the " +
      "run's held-out loss reaches the target, linearly interpolated between evaluations. CPU ms per step: the training " +
      "process's CPU time over the run (evaluations included) divided by its steps.",
    "",
    "### The paper's v1 table, for comparison",
    "",
    "| model | loss @ 50K | loss @ 250K | steps to dense's final loss | step time vs dense | FLOPs vs dense |",
    "|---|---:|---:|---:|---:|---:|",
    `| dense | ${PAPER.dense[0]} | ${PAPER.dense[1]} | 250K (100%) | 1× | 1× |`,
    `| MoT | ${PAPER.mot[0]} | ${PAPER.mot[1]} | ~62K (~25%) | ${PAPER.stepRatio}× | ~${PAPER.flopRatio}× of the FFN |`,
    `| Δ MoT − dense | ${signed(PAPER.mot[0] - PAPER.dense[0])} | ${signed(PAPER.mot[1] - PAPER.dense[1])} | | | |`,
    "",
    ...robustness(bench),
    ...engineComparison(bench, options.other),
    ...entropyTable(bench),
    ...transitionTable(bench),
  );
  return lines.join("\n") + "\n";
}

/** Where the result stands against the goal and the paper, in words computed from the numbers. */
function standing(bench: BenchResults, summaries: Summary[], target: number | undefined): string[] {
  const mot = summaries.find((s) => s.name === "mot");
  if (!mot || target === undefined) return [];
  const reached = mot.reach.filter((r): r is number => r !== null);
  const all = reached.length === mot.reach.length;
  const fraction = all ? avg(reached) / bench.steps : undefined;
  const verdict = fraction !== undefined && fraction <= GOAL_FRACTION
    ? `MoT reaches the best dense model's final loss in **${pct(fraction)} of the steps** (mean of ${mot.reach.length} seeds; goal ≤ ${pct(GOAL_FRACTION)}; the paper: ~${pct(PAPER.reachFraction)})`
    : fraction !== undefined
      ? `MoT reaches the best dense model's final loss only after **${pct(fraction)} of the steps** (mean of ${mot.reach.length} seeds), short of the goal of ${pct(GOAL_FRACTION)} (the paper: ~${pct(PAPER.reachFraction)})`
      : `MoT does **not** reach the best dense model's final loss in ${mot.reach.length - reached.length} of ${mot.reach.length} seeds`;
  return [
    "## Where it stands",
    "",
    `${verdict}, ending ${signed(mot.final.mean - target)} nats/byte from it ` +
      `(the paper: ${signed(PAPER.mot[1] - PAPER.dense[1])} nats/token at 250K steps), at ${mot.flopsVsDense.toFixed(2)}× dense's FLOPs per token ` +
      `counting routing (goal ≤ 1.80×) and ${mot.cpuVsDense.toFixed(2)}× its CPU time per step (the paper: ${PAPER.stepRatio}× on GPUs).`,
    "",
  ];
}

/**
 * How much the MoT fraction depends on choices of the measurement, from the same
 * curves: the target taken from each dense seed alone, a target a little higher or
 * lower, and how the MoT − dense gap evolves (its shape decides the fraction as
 * much as its end value: a cosine schedule packs much of each run's gain into its
 * last steps, where both curves fall fastest).
 */
function robustness(bench: BenchResults): string[] {
  const dense = bench.models.find((m) => m.name === "dense");
  const mot = bench.models.find((m) => m.name === "mot");
  const target = denseTarget(bench);
  if (!dense || !mot || target === undefined) return [];
  const fraction = (t: number) => {
    const reach = mot.runs.map((r) => stepsToReach(r.eval, t));
    return reach.every((r) => r !== null) ? pct(avg(reach as number[]) / bench.steps) : `${reach.filter((r) => r === null).length} of ${reach.length} never`;
  };
  const perDense = dense.runs.map((r) => `seed ${r.seed}'s ${fixed(finalLoss(r))}: ${fraction(finalLoss(r))}`);
  const shifts = [-0.02, -0.01, 0.01, 0.02].map((d) => `${signed(d)}: ${fraction(target + d)}`);
  const marks = [0.1, 0.2, 0.33, 0.5, 0.67, 0.8, 0.9, 1].map((f) => Math.round(bench.steps * f));
  const gapAt = (step: number) => avg(mot.runs.map((r) => lossAt(r.eval, step))) - avg(dense.runs.map((r) => lossAt(r.eval, step)));
  // Where dense itself stands: the steps dense needs to reach MoT's loss at each mark, as a share of the mark.
  const denseCatch = (step: number) => {
    const motLoss = avg(mot.runs.map((r) => lossAt(r.eval, step)));
    const reach = dense.runs.map((r) => stepsToReach(r.eval, motLoss));
    return reach.every((r) => r !== null) ? `${(avg(reach as number[]) / step).toFixed(2)}×` : "later than the run";
  };
  return [
    "## How robust the MoT fraction is",
    "",
    `Measured on the same curves. The target as each dense seed alone sets it — ${perDense.join("; ")}. ` +
      `The target moved by a few hundredths of a nat (about the seed spread of a 3000-step run) — ${shifts.join("; ")}.`,
    "",
    `| step | ${marks.map((m) => `${m}`).join(" | ")} |`,
    `|---|${marks.map(() => "---:").join("|")}|`,
    `| MoT − dense, held-out (mean of seeds) | ${marks.map((m) => signed(gapAt(m))).join(" | ")} |`,
    `| steps dense needs for MoT's loss at that step | ${marks.map((m) => denseCatch(m)).join(" | ")} |`,
    "",
    "The last row is the paper's measure turned around: at every point of the run, how many more steps the dense model " +
      "needs to match MoT. The fraction above reads one point of it — the end, where the cosine schedule is annealing " +
      "both models — so it is the row to look at when asking whether MoT's advantage holds through training.",
    "",
  ];
}

/** Whether this engine's runs agree with another engine's on the same models, seeds and lrs. */
function engineComparison(bench: BenchResults, other: OtherResults | undefined): string[] {
  if (!other) return [];
  const summaries = summarize(bench);
  const rows: string[] = [];
  bench.models.forEach((m, i) => {
    const theirs = other.models.find((o) => o.name === m.name);
    m.runs.forEach((run, k) => {
      const their = theirs?.seeds.find((s) => s.seed === run.seed && s.lr === run.lr);
      if (!their) return;
      const at = new Map(their.eval_curve.map(([step, loss]) => [step, loss]));
      const gaps = run.eval.filter(([step]) => at.has(step)).map(([step, loss]) => Math.abs(loss - at.get(step)!));
      const reach = (r: number | null) => (r === null ? "never" : pct(r / bench.steps));
      rows.push(`| ${m.name} | ${run.seed} | ${run.lr} | ${fixed(finalLoss(run))} | ${fixed(their.final_loss)} | ${signed(finalLoss(run) - their.final_loss)} | ` +
        `${Math.max(...gaps).toFixed(4)} (${gaps.length} evaluations) | ${reach(summaries[i].reach[k])} | ${reach(their.steps_to_dense_final)} |`);
    });
  });
  if (rows.length === 0) return [];
  return [
    `## Against the ${other.engine} engine`,
    "",
    `The same models, seeds, learning rates and batches through \`motc train --engine ${other.engine}\` (its results.json). ` +
      "Both engines start from the same weights and draw the same batches; they differ in floating-point order, which " +
      "compounds over thousands of steps, so agreement is judged on the curves and the outcome, not the last bits.",
    "",
    `| model | seed | lr | final (${bench.engine}) | final (${other.engine}) | Δ | max \|Δ\| over the curve | steps to dense target (${bench.engine}) | (${other.engine}) |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `The dense target here is ${denseTarget(bench)?.toFixed(4) ?? "-"}; under ${other.engine} it was ${other.dense_final_loss?.toFixed(4) ?? "-"} (each engine's steps-to-target use its own).`,
    "",
  ];
}

/** The sweep's table; models given an lr (--lrs) instead are listed with it. */
function sweepTable(bench: BenchResults): string[] {
  const given = bench.models.filter((m) => m.sweep.length === 0);
  const swept = bench.models.filter((m) => m.sweep.length > 0);
  const lines = [`## Learning-rate sweep (${bench.sweepSteps} steps, seed ${bench.seeds[0]})`, ""];
  if (swept.length > 0) {
    lines.push(
      `Final held-out loss per peak learning rate; **bold** is the model's best, used for its ${bench.steps}-step runs. ` +
        "Where a model's best was at an end of the grid, the grid was extended that way (×2 or ÷2, at most twice).",
      "",
      `| model | ${lrColumns(bench).map((lr) => `lr ${lr}`).join(" | ")} |`,
      `|---|${lrColumns(bench).map(() => "---:").join("|")}|`,
      ...swept.map((m) => `| ${m.name} | ${lrColumns(bench).map((lr) => {
        const run = m.sweep.find((s) => s.lr === lr);
        return run === undefined ? "" : lr === m.lr ? `**${fixed(run.finalLoss)}**` : fixed(run.finalLoss);
      }).join(" | ")} |`),
      "",
    );
  }
  if (given.length > 0) {
    lines.push(`Not swept here; the learning rate was given (\`--lrs\`, the tfjs engine's sweep's choice): ${given.map((m) => `${m.name} ${m.lr}`).join(", ")}.`, "");
  }
  return lines;
}

/** Every learning rate any model's sweep ran, ascending. */
function lrColumns(bench: BenchResults): number[] {
  return [...new Set(bench.models.flatMap((m) => m.sweep.map((s) => s.lr)))].sort((a, b) => a - b);
}

function entropyTable(bench: BenchResults): string[] {
  const rows = bench.models.flatMap((m) => (m.entropies ?? []).map((e) =>
    `| ${m.name} | layers.${e.index} | ${e.group} | ${e.entropy.toFixed(4)} | ${Math.log(e.group).toFixed(4)} | ${(e.entropy / Math.log(e.group)).toFixed(3)} | ${e.temperature.toFixed(4)} |`));
  if (rows.length === 0) return [];
  return [
    `## Routing-weight entropy (mot, seed ${bench.seeds[0]})`,
    "",
    "Mean entropy of the group softmax `w[·,t,e]` (over a group's G rows, for each expert and position), from the trained " +
      "weights on the 8 held-out evaluation batches. ln G is an even mix; 0 is each expert picking one token.",
    "",
    "| model | layer | G | entropy (nats) | ln G | entropy / ln G | learned τ |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
  ];
}

function transitionTable(bench: BenchResults): string[] {
  if (bench.transitions.length === 0) return [];
  const mot = bench.models.find((m) => m.name === "mot")!;
  return [
    `## Transition tuning (mot, seed ${bench.seeds[0]})`,
    "",
    "`motc transition --topk K` turns the trained MoT model into its token-choice twin (same experts, the controller over τ as " +
      `the router), then \`motc train --resume-from\` fine-tunes it for ${bench.transitions[0].tuneSteps} steps at the MoT model's lr. ` +
      `The MoT model itself ended at ${spread(mot.runs.slice(0, 1).map(finalLoss)).mean.toFixed(4)}.`,
    "",
    "| twin | experts run per token vs MoT's expert FLOPs | held-out right after `transition` | after fine-tuning |",
    "|---|---:|---:|---:|",
    ...bench.transitions.map((t) => `| top-${t.topk} | ${fraction(t.topk, mot.model)} | ${t.before.toFixed(4)} | ${t.after.toFixed(4)} |`),
    "",
  ];
}

/** Expert FLOPs of a top-k twin relative to the MoT layer's (E·f/G per token). */
function fraction(topk: number, model: ModelIR): string {
  const layer = model.sublayers.find((l) => l.kind === "mot");
  if (!layer || layer.kind !== "mot") return "-";
  return `${(topk / (layer.experts / layer.group)).toFixed(2)}×`;
}

export function finalLoss(run: RunResult): number {
  return run.eval[run.eval.length - 1][1];
}

/** Held-out loss at `step`, linear between evaluations. */
export function lossAt(points: readonly [number, number][], step: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (step <= x1) return y0 + ((y1 - y0) * (step - x0)) / (x1 - x0);
  }
  return points[points.length - 1][1];
}

/** The first step at which the curve reaches `target` (linear between evaluations), or null. */
export function stepsToReach(points: readonly [number, number][], target: number): number | null {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (y1 <= target) return y0 <= target ? x0 : x0 + ((x1 - x0) * (y0 - target)) / (y0 - y1);
  }
  return null;
}

function spread(values: number[]): Spread {
  return { mean: avg(values), halfRange: (Math.max(...values) - Math.min(...values)) / 2, values };
}
const avg = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const pm = (s: Spread) => `${s.mean.toFixed(4)} ± ${s.halfRange.toFixed(4)}`;
const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : "diverged");
const pct = (value: number) => `${(value * 100).toFixed(0)}%`;
const n = (value: number) => value.toLocaleString("en-US");
const signed = (value: number) => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(4)}`;

function blocks(model: ModelIR): number {
  return model.sublayers.filter((l) => l.kind === "attention").length;
}
function heads(model: ModelIR): number {
  const a = model.sublayers.find((l) => l.kind === "attention");
  return a && a.kind === "attention" ? a.heads : 0;
}
function motShape(models: readonly ModelResult[]): string {
  return models.flatMap((m) => m.model.sublayers.filter((l) => l.kind === "mot").slice(0, 1).map((l) =>
    l.kind === "mot" ? `${m.name}: ${l.group}, ${l.experts}, ${l.expertSize} (${l.experts / l.group} experts per mixed token)` : "")).join("; ");
}
function scheduleFinal(recipe: NonNullable<ModelIR["recipe"]>): string {
  return recipe.schedule.kind === "constant" ? "constant" : `${recipe.schedule.final * 100}% (${recipe.schedule.kind})`;
}
function ffnText(model: ModelIR): string {
  const layer = model.sublayers.find((l) => l.kind !== "attention");
  if (!layer) return "-";
  const { init: _init, ...args } = sublayerArgs(layer);
  return `${layer.kind}(${formatArgs(args)})`;
}
