// REPORT.md of bench/paper: how the paper's setup was scaled, the loss at equal
// steps, the steps MoT needs to reach dense's final loss, step times and the
// routing-weight entropy, next to the paper's v1 table. Pure: results in, text out.
import { cpus } from "node:os";
import type { ModelCost } from "../../src/ir/cost.js";
import type { ModelIR, Recipe } from "../../src/ir/model.js";
import type { LayerEntropy } from "./entropy.js";
import { formatArgs, sublayerArgs } from "../../src/review/describe.js";

export interface Result {
  name: string;
  model: ModelIR;
  recipe: Recipe;
  backend: string;
  unigramEntropy: number;
  train: [number, number][];
  eval: [number, number][];
  /** Wall time of each step, ms. */
  stepMs: number[];
  cpuSeconds: number;
  wallSeconds: number;
  /** 1-minute load average of the machine when the run ended (absent where not recorded). */
  loadAverage?: number;
  note?: string;
  cost: ModelCost;
  entropies: LayerEntropy[];
}

/** The paper's v1 table (4 blocks, d=256, G=32, E=512, C4). */
const PAPER = { dense: [4.2245, 4.0026], mot: [4.0359, 3.7989], steps: [50_000, 250_000], reachFraction: 0.25, stepRatio: 1.25 };

export function renderReport(results: readonly Result[], options: { command: string }): string {
  const dense = results.find((r) => r.name === "dense");
  const mot = results.find((r) => r.name === "mot");
  const steps = results[0].recipe.steps;
  const early = Math.round(steps * (PAPER.steps[0] / PAPER.steps[1])); // the paper's 50K of 250K = 20%
  const lines: string[] = [];
  const add = (...text: string[]) => lines.push(...text);

  add(
    "# bench/paper — Mixture of Tokens vs dense (and sparse MoE), scaled down",
    "",
    "Regenerate (writes this file and `loss.svg`; the models are in `bench/paper/paper.mot`):",
    "",
    "```sh",
    options.command,
    "```",
    "",
    "![loss curves](loss.svg)",
    "",
    "## How it is scaled",
    "",
    "| | paper v1 | here |",
    "|---|---|---|",
    `| data | C4, GPT-2 tokens | Brown corpus (bundled), bytes (vocab 256); 5% held out |`,
    `| blocks, d_model, heads | 4, 256, 4 | ${blocks(results[0].model)}, ${results[0].model.dModel}, ${heads(results[0].model)} |`,
    `| context × batch | 256 × 256 | ${results[0].recipe.context} × ${results[0].recipe.batch} |`,
    `| MoT group G, experts E, expert size f | 32, 512, 64 (f = d_ff·G/E, d_ff = 4d) | ${motShape(mot)} |`,
    `| steps | 250,000 | ${steps} (equal-step columns at ${early} = 20% and ${steps}, like 50K and 250K) |`,
    `| recipe | AdamW, cosine | lr ${results[0].recipe.lr}, warm-up ${results[0].recipe.warmup} steps, cosine to ${scheduleFinal(results[0].recipe)}, clip ${results[0].recipe.clip}, AdamW(${results[0].recipe.optimizer.beta1}, ${results[0].recipe.optimizer.beta2}, wd ${results[0].recipe.optimizer.weightDecay}), seed ${results[0].recipe.seed} — the same for every model |`,
    `| hardware | GPUs | tfjs ${results[0].backend} on ${cpus().length} CPU cores shared with other jobs (1-minute load average at the end of each run: ${results.map((r) => `${r.name} ${r.loadAverage?.toFixed(1) ?? "not recorded"}`).join(", ")}) |`,
    "",
    "Every model has the same embedding, attention and head; only the feed-forward sublayers differ, and each " +
      "spends (about) the dense FFN's FLOPs per token. Evaluation: mean next-token cross-entropy (nats/byte) on " +
      `the first 8 held-out batches, every ${results[0].recipe.evalEvery} steps.`,
    "",
    "## Models",
    "",
    "| model | FFN sublayer | params | FLOPs/token (fwd) | vs dense |",
    "|---|---|---:|---:|---:|",
    ...results.map((r) => `| ${r.name} | ${ffnText(r.model)} | ${r.cost.params.toLocaleString("en-US")} | ${r.cost.flopsPerToken.toLocaleString("en-US")} | ${dense ? (r.cost.flopsPerToken / dense.cost.flopsPerToken).toFixed(3) + "×" : "-"} |`),
    "",
    "## Results",
    "",
    `| model | eval loss @ ${early} | eval loss @ ${steps} | Δ vs dense @ ${steps} | steps to dense's final loss | dense's steps to this final loss | CPU ms per step | step time vs dense (CPU) | wall ms per step (median) |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  const denseFinal = dense ? last(dense.eval) : undefined;
  const denseCpu = dense ? dense.cpuSeconds / dense.recipe.steps : undefined;
  for (const r of results) {
    const final = last(r.eval);
    const reach = denseFinal === undefined || r === dense ? undefined : stepsToReach(r.eval, denseFinal);
    const back = dense === undefined || r === dense ? undefined : stepsToReach(dense.eval, final);
    const cpu = r.cpuSeconds / r.recipe.steps;
    add(
      `| ${r.name} | ${lossAt(r.eval, early).toFixed(4)} | ${final.toFixed(4)} | ${denseFinal === undefined ? "-" : signed(final - denseFinal)} | ` +
        `${r === dense ? "—" : reach === undefined ? "not reached" : `${Math.round(reach)} (${((reach / r.recipe.steps) * 100).toFixed(0)}%)`} | ` +
        `${r === dense ? "—" : back === undefined ? "not reached" : `${Math.round(back)} (${((back / r.recipe.steps) * 100).toFixed(0)}%)`} | ` +
        `${(cpu * 1000).toFixed(0)} | ${denseCpu ? (cpu / denseCpu).toFixed(2) + "×" : "-"} | ${median(r.stepMs.slice(5)).toFixed(0)} |`,
    );
  }
  add(
    "",
    `"Steps to dense's final loss": the first step at which the model's held-out loss reaches dense's loss at step ${steps}, ` +
      "linearly interpolated between evaluations; \"dense's steps to this final loss\" the same the other way round. " +
      "Step time: the process's CPU time over the whole run (evaluations included) divided by the steps — tfjs wasm runs on one thread, " +
      "so this is the compute a step costs; the machine was shared with other jobs whose load changed between runs, so the wall-clock " +
      "median (evaluation-free steps after the first 5) is shown but not compared.",
    ...results.flatMap((r) => (r.note ? ["", `Note (${r.name}): ${r.note}`] : [])),
    "",
    "### The paper's v1 table, for comparison",
    "",
    "| model | loss @ 50K | loss @ 250K | steps to dense's final loss | step time vs dense |",
    "|---|---:|---:|---:|---:|",
    `| dense | ${PAPER.dense[0]} | ${PAPER.dense[1]} | 250K (100%) | 1× |`,
    `| MoT | ${PAPER.mot[0]} | ${PAPER.mot[1]} | ~62K (~25%) | ${PAPER.stepRatio}× |`,
    `| Δ MoT − dense | ${signed(PAPER.mot[0] - PAPER.dense[0])} | ${signed(PAPER.mot[1] - PAPER.dense[1])} | | |`,
    "",
    "## Routing-weight entropy (MoT)",
    "",
    "Mean entropy of the group softmax `w[·,t,e]` (over a group's G rows, for each expert and position), from the trained " +
      "weights on the 8 held-out evaluation batches. ln G is an even mix; 0 is each expert picking one token.",
    "",
    "| model | layer | G | entropy (nats) | ln G | entropy / ln G | learned τ |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...results.flatMap((r) => r.entropies.map((e) =>
      `| ${r.name} | layers.${e.index} | ${e.group} | ${e.entropy.toFixed(4)} | ${Math.log(e.group).toFixed(4)} | ${(e.entropy / Math.log(e.group)).toFixed(3)} | ${e.temperature.toFixed(4)} |`)),
    "",
    "## What it shows",
    "",
    ...findings(results, dense, mot, early),
    "",
    "## Eval curves",
    "",
    `| step | ${results.map((r) => r.name).join(" | ")} |`,
    `|---:|${results.map(() => "---:").join("|")}|`,
    ...results[0].eval.map(([step]) => `| ${step} | ${results.map((r) => lossAtExact(r.eval, step)).join(" | ")} |`),
    "",
    `Unigram entropy of the training bytes: ${results[0].unigramEntropy.toFixed(4)} nats/byte. Wall time per run: ` +
      results.map((r) => `${r.name} ${(r.wallSeconds / 60).toFixed(1)} min`).join(", ") + ".",
    "",
  );
  return lines.join("\n");
}

function findings(results: readonly Result[], dense: Result | undefined, mot: Result | undefined, early: number): string[] {
  if (!dense || !mot) return ["(dense and mot are both needed for the comparison)"];
  const out: string[] = [];
  const dFinal = last(dense.eval);
  const mFinal = last(mot.eval);
  const dEarly = lossAt(dense.eval, early);
  const mEarly = lossAt(mot.eval, early);
  out.push(
    `- Equal steps: MoT − dense = ${signed(mEarly - dEarly)} nats at step ${early} and ${signed(mFinal - dFinal)} at step ${mot.recipe.steps} ` +
      `(paper: ${signed(PAPER.mot[0] - PAPER.dense[0])} and ${signed(PAPER.mot[1] - PAPER.dense[1])}). ` +
      (mFinal < dFinal ? "MoT ends lower, as in the paper." : "MoT does not beat dense here, unlike the paper."),
  );
  const reach = stepsToReach(mot.eval, dFinal);
  out.push(
    reach === undefined
      ? `- MoT never reaches dense's final loss ${dFinal.toFixed(4)} within ${mot.recipe.steps} steps (paper: at ~25% of the steps).`
      : `- MoT reaches dense's final loss ${dFinal.toFixed(4)} at step ~${Math.round(reach)}, ${((reach / mot.recipe.steps) * 100).toFixed(0)}% of the steps (paper: ~25%).`,
  );
  const back = stepsToReach(dense.eval, mFinal);
  if (back !== undefined) out.push(`- The other way round: dense reaches MoT's final loss ${mFinal.toFixed(4)} at step ~${Math.round(back)} (${((back / dense.recipe.steps) * 100).toFixed(0)}% of the steps).`);
  const cpuRatio = mot.cpuSeconds / dense.cpuSeconds;
  out.push(`- Step time: MoT/dense = ${cpuRatio.toFixed(2)}× in CPU time per step (paper: ${PAPER.stepRatio}× on GPUs), at ${(mot.cost.flopsPerToken / dense.cost.flopsPerToken).toFixed(2)}× the FLOPs per token.`);
  for (const r of results) {
    if (r.name === "dense" || r.name === "mot") continue;
    out.push(`- ${r.name}: final ${last(r.eval).toFixed(4)} (${signed(last(r.eval) - dFinal)} vs dense, ${signed(last(r.eval) - mFinal)} vs MoT), ${(r.cpuSeconds / dense.cpuSeconds).toFixed(2)}× dense's CPU time per step.`);
  }
  const entropy = mot.entropies;
  if (entropy.length > 0) {
    out.push(`- Routing entropy / ln G per MoT layer: ${entropy.map((e) => `layers.${e.index} ${(e.entropy / Math.log(e.group)).toFixed(2)} (τ ${e.temperature.toFixed(2)})`).join(", ")}.`);
  }
  out.push(`- One seed, one run of ${mot.recipe.steps} steps: differences of a few hundredths of a nat are within run-to-run noise at this scale.`);
  return out;
}

function blocks(model: ModelIR): number {
  return model.sublayers.filter((l) => l.kind === "attention").length;
}
function heads(model: ModelIR): number {
  const a = model.sublayers.find((l) => l.kind === "attention");
  return a && a.kind === "attention" ? a.heads : 0;
}
function motShape(result: Result | undefined): string {
  const layer = result?.model.sublayers.find((l) => l.kind === "mot");
  return layer && layer.kind === "mot" ? `${layer.group}, ${layer.experts}, ${layer.expertSize} (f = d_ff·G/E, d_ff = 4d)` : "-";
}
function scheduleFinal(recipe: Recipe): string {
  return recipe.schedule.kind === "constant" ? "constant" : `${recipe.schedule.final * 100}% (${recipe.schedule.kind})`;
}
function ffnText(model: ModelIR): string {
  const layer = model.sublayers.find((l) => l.kind !== "attention");
  if (!layer) return "-";
  switch (layer.kind) {
    case "ff": return `ff(size ${layer.size})`;
    case "mot": return `mot(E ${layer.experts}, G ${layer.group}, f ${layer.expertSize}, τ ${layer.temp.kind})`;
    case "moe": return `moe(${layer.routing}, E ${layer.experts}, f ${layer.expertSize}, ${layer.routing === "token_choice" ? `top-${layer.topk}` : `G ${layer.group}`}, capacity ${layer.capacity})`;
    default: return `${layer.kind}(${formatArgs(sublayerArgs(layer))})`;
  }
}

function last(points: readonly [number, number][]): number {
  return points[points.length - 1][1];
}
/** Loss at the first evaluation at or after `step`. */
function lossAt(points: readonly [number, number][], step: number): number {
  return (points.find(([s]) => s >= step) ?? points[points.length - 1])[1];
}
function lossAtExact(points: readonly [number, number][], step: number): string {
  const hit = points.find(([s]) => s === step);
  return hit ? hit[1].toFixed(4) : "-";
}
/** First step (interpolated between evaluations) where the curve is at or below `target`. */
export function stepsToReach(points: readonly [number, number][], target: number): number | undefined {
  for (let i = 0; i < points.length; i++) {
    const [step, loss] = points[i];
    if (loss > target) continue;
    if (i === 0) return step;
    const [prevStep, prevLoss] = points[i - 1];
    return prevStep + ((prevLoss - target) / (prevLoss - loss)) * (step - prevStep);
  }
  return undefined;
}
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}
function signed(value: number): string {
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(4)}`;
}
