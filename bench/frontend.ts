// Front-end benchmark (issue 2): the CLI's cold start for check/fmt/explain
// against bare `node -e 0` in the same run, and a warm check of a 1,000-line spec.
// Run: npm run build && node dist/bench/frontend.js
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSpec } from "../src/check/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// The CLI users run: package.json's bin, the bundle `npm run build` makes.
const motc = join(root, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).bin.motc);
const RUNS = 21;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Median wall time of each command line, started RUNS times in rounds (every
 * command once per round), so that a slow spell on a shared machine falls on all
 * of them alike rather than on whichever ran during it.
 */
function coldStarts(commands: string[][]): number[] {
  const times: number[][] = commands.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    commands.forEach((args, c) => {
      const started = process.hrtime.bigint();
      const result = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
      times[c].push(Number(process.hrtime.bigint() - started) / 1e6);
      if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    });
  }
  return times.map(median);
}

/** A realistic 1,000-line spec: many models with lets, repeats, extends and recipes. */
export function largeSpec(lines = 1000): string {
  const out = ["# generated for the front-end benchmark", "version 1", ""];
  for (let m = 0; out.length < lines - 30; m++) {
    out.push(
      `model m${m} {`, `  let blocks = ${1 + (m % 4)}`, "  vocab = 50257", "  context = 256", `  d_model = ${64 * (1 + (m % 4))}`,
      "  d_ff = 4 * d_model  # FLOP-matched", "  norm = layernorm", "", "  embed(position = learned)", "  repeat blocks {",
      "    attention(heads = 4)", `    mot(experts = ${16 * (1 + (m % 8))}, group = ${1 + (m % 8)}, temp = learnable)`, "  }",
      "  attention(heads = 2, causal = true)", "  ff(size = d_ff / 2, activation = gelu)", "  head(tied = true)", "}", "",
      `model d${m} extends m${m} {`, "  replace mot with ff()", "}", "",
      `train m${m} {`, "  steps = 10k", "  batch = 64", "  lr = 2e-3", "  warmup = 1%", "  schedule = cosine(final = 10%)",
      "  eval_every = steps / 50", "}", "",
    );
  }
  return out.join("\n") + "\n";
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "motc-bench-"));
  const big = join(dir, "big.mot");
  const text = largeSpec();
  writeFileSync(big, text);
  const lineCount = text.split("\n").length - 1;

  const first = checkSpec({ path: big, text });
  if (first.diagnostics.some((d) => d.severity === "error")) throw new Error("the generated spec does not check");
  const warm: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    checkSpec({ path: big, text });
    warm.push(performance.now() - started);
  }

  const paper = join(root, "specs/mot_paper.mot");
  const commands: [string, string[]][] = [
    ["node -e 0", ["-e", "0"]],
    ["motc check specs/mot_paper.mot", [motc, "check", paper]],
    ["motc fmt specs/mot_paper.mot", [motc, "fmt", paper]],
    ["motc explain specs/mot_paper.mot", [motc, "explain", paper]],
    [`motc check (${lineCount}-line spec)`, [motc, "check", big]],
  ];
  // One untimed start first: it writes Chevrotain's code cache (grammar/chevrotain.ts).
  spawnSync(process.execPath, [motc, "check", paper], { cwd: root, stdio: "ignore" });
  const medians = coldStarts(commands.map(([, args]) => args));
  const bare = medians[0];
  const rows = commands.map(([name], i): [string, number] => [name, medians[i]]);
  console.log(`cold start, median of ${RUNS} runs in rounds (goal: ≤ 2× bare node)`);
  console.log("| command | ms | × node |\n|---|---:|---:|");
  for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(1)} | ${(ms / bare).toFixed(2)} |`);
  console.log(`\nwarm checkSpec of a ${lineCount}-line spec (${first.models.length} models), median of 50: ${median(warm).toFixed(2)} ms (goal < 50 ms)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
