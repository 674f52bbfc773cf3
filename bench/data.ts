// Dataset benchmark (issue 12): `motc data prepare` throughput and peak RSS on a
// generated C4-like JSONL.gz (≥ 200 MB compressed) for the bytes and gpt2
// tokenizers — RSS also on a tenth of the input, to show it does not grow with
// it — and the share of a tiny training step (specs/tiny.mot on wasm) spent
// reading its batch from the prepared shards.
//
// The corpus: documents of 3–42 sentences of the Brown corpus drawn with a
// seeded Random, as {"text", "timestamp", "url"} lines like C4's, gzip level 6;
// generated once into $TMPDIR/motc-bench-data/ and reused.
// Run: npm run build && node dist/bench/data.js [--mb 200] [--small-mb 20] [--steps 30] [--wait-only]
// (--wait-only: only the data wait, on the dataset the last full run left).
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";
import { readText } from "../src/base/files.js";
import { checkSpec } from "../src/check/index.js";
import { brownFiles, stripBrownTags } from "../src/data/brown.js";
import { BatchReader, trainingBatch } from "../src/data/batches.js";
import { openDataset } from "../src/data/dataset.js";
import { prepareDataset } from "../src/data/prepare.js";
import { initialWeights } from "../src/ir/init.js";
import { Random } from "../src/ir/random.js";
import { createTrainingGraph, selectBackend } from "../src/tfjs/index.js";
import { optimizerFor, trainStep } from "../src/train/loop.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const self = fileURLToPath(import.meta.url);
const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mb: { type: "string", default: "200" },
    "small-mb": { type: "string", default: "20" },
    steps: { type: "string", default: "30" },
    "wait-only": { type: "boolean", default: false },
    child: { type: "boolean", default: false },
  },
});

interface Corpus {
  path: string;
  gzBytes: number;
  jsonBytes: number;
  textBytes: number;
  documents: number;
}

interface PrepareRun {
  liveMB: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMB: number;
  tokens: number;
}

/** Child mode: prepare one dataset in a fresh process and report time and peak RSS. */
async function child(tokenizer: "bytes" | "gpt2", input: string, out: string): Promise<void> {
  // The live heap, sampled after a full GC every 5 s: flat when memory is bounded
  // (RSS also holds garbage not yet collected, so it wanders with GC timing).
  // Sampled more often, the GCs themselves slow gpt2 down.
  const gc = (globalThis as { gc?: () => void }).gc!;
  let liveMB = 0;
  const sampler = setInterval(() => {
    gc();
    liveMB = Math.max(liveMB, process.memoryUsage().heapUsed / 1e6);
  }, 5000);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const prepared = await prepareDataset({
    inputs: [input], out, tokenizer, field: "text", split: { method: "random", val: 0.0005, seed: 0 }, strict: false, force: true,
  });
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  const run: PrepareRun = {
    liveMB,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    tokens: prepared.manifest.splits.train.tokens + prepared.manifest.splits.val.tokens,
  };
  process.stdout.write(JSON.stringify(run) + "\n");
}

/** The corpus of at least `mb` MB gzip'd, generated once (deterministic: seed 0). */
async function corpus(mb: number): Promise<Corpus> {
  const dir = join(tmpdir(), "motc-bench-data");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `c4like-${mb}MB.jsonl.gz`);
  const sizes = join(dir, `c4like-${mb}MB.json`);
  if (existsSync(path) && existsSync(sizes)) return JSON.parse(readText(sizes)) as Corpus;
  const sentences = brownFiles().flatMap(({ file }) => stripBrownTags(readText(file)).split("\n"));
  const random = new Random(0, "bench.data");
  const gzip = createGzip({ level: 6 });
  const file = createWriteStream(`${path}.tmp`);
  gzip.pipe(file);
  const counts = { jsonBytes: 0, textBytes: 0, documents: 0 };
  while (file.bytesWritten + file.writableLength < mb * 1e6) {
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) {
      const count = 3 + random.int(40);
      const text = Array.from({ length: count }, () => sentences[random.int(sentences.length)]).join(random.int(4) === 0 ? "\n" : " ");
      lines.push(JSON.stringify({ text, timestamp: "2019-04-25T12:57:54Z", url: `https://example.com/${counts.documents + i}` }));
      counts.textBytes += Buffer.byteLength(text);
    }
    counts.documents += lines.length;
    const chunk = lines.join("\n") + "\n";
    counts.jsonBytes += Buffer.byteLength(chunk);
    if (!gzip.write(chunk)) await once(gzip, "drain");
  }
  gzip.end();
  await once(file, "close");
  renameSync(`${path}.tmp`, path);
  const result: Corpus = { path, gzBytes: statSync(path).size, ...counts };
  writeFileSync(sizes, JSON.stringify(result));
  return result;
}

function prepareInChild(tokenizer: "bytes" | "gpt2", input: Corpus): PrepareRun {
  const out = join(tmpdir(), "motc-bench-data", `out-${tokenizer}`);
  const result = spawnSync(process.execPath, ["--expose-gc", self, "--child", tokenizer, input.path, out], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`prepare failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop()!) as PrepareRun;
}

/**
 * Medians of a step of specs/tiny.mot on wasm; of what it waits for its batch,
 * read during the step before (BatchReader, as training does); and, for
 * comparison, of reading a batch of other windows synchronously.
 */
async function dataWait(datasetDir: string, steps: number): Promise<{ waitMs: number; readMs: number; stepMs: number }> {
  const spec = join(root, "specs/tiny.mot");
  const model = checkSpec({ path: spec, text: readText(spec) }).models.find((m) => m.name === "tiny")!;
  const recipe = model.recipe!;
  const { tf } = await selectBackend("wasm", () => {});
  const graph = createTrainingGraph(tf, model, initialWeights(model, recipe.seed), { seed: recipe.seed });
  const optimizer = optimizerFor(tf, model, graph, recipe);
  const dataset = openDataset(datasetDir);
  const train = dataset.split("train");
  const reader = new BatchReader(train, recipe.context, recipe.batch, recipe.seed);
  const [waits, reads, stepTimes]: number[][] = [[], [], []];
  for (let step = 1; step <= steps + 5; step++) {
    const t0 = performance.now();
    const batch = await reader.take(step);
    const t1 = performance.now();
    graph.step = step;
    trainStep(tf, graph, optimizer, batch, recipe.lr, recipe.clip);
    const t2 = performance.now();
    trainingBatch(train, recipe.context, recipe.batch, recipe.seed, 1_000_000 + step);
    const t3 = performance.now();
    if (step > 5) {
      waits.push(t1 - t0);
      stepTimes.push(t2 - t1);
      reads.push(t3 - t2);
    }
  }
  dataset.close();
  return { waitMs: median(waits), readMs: median(reads), stepMs: median(stepTimes) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  if (flags.child) return child(positionals[0] as "bytes" | "gpt2", positionals[1], positionals[2]);
  const big = await corpus(Number(flags.mb));
  if (!flags["wait-only"]) await throughput(big);
  const { waitMs, readMs, stepMs } = await dataWait(join(tmpdir(), "motc-bench-data", "out-bytes"), Number(flags.steps));
  const share = (ms: number) => `${((100 * ms) / (ms + stepMs)).toFixed(2)}%`;
  console.log(`\ndata wait, specs/tiny.mot on wasm, batch 16 × 65 tokens from the ${(big.textBytes / 1e6).toFixed(0)} M-token shards ` +
    `(medians of ${flags.steps}): a step ${stepMs.toFixed(1)} ms; waiting for its batch, read during the step before, ` +
    `${(waitMs * 1000).toFixed(0)} µs (${share(waitMs)}); reading a batch synchronously instead ${(readMs * 1000).toFixed(0)} µs (${share(readMs)})`);
}

/** The throughput table: bytes and gpt2 on the small and the big corpus. */
async function throughput(big: Corpus): Promise<void> {
  const small = await corpus(Number(flags["small-mb"]));
  console.log(`corpus: ${big.path}: ${(big.gzBytes / 1e6).toFixed(0)} MB gzip'd, ${(big.jsonBytes / 1e6).toFixed(0)} MB of JSON lines, ` +
    `${(big.textBytes / 1e6).toFixed(0)} MB of text, ${big.documents} documents`);
  console.log("| tokenizer | input | wall s | gz MB/s | text MB/s | text MB/s per CPU-s | tokens | peak RSS | live heap (max after GC) |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  const row = (name: string, input: Corpus, run: PrepareRun) =>
    console.log(`| ${name} | ${(input.gzBytes / 1e6).toFixed(0)} MB gz | ${run.seconds.toFixed(1)} | ${(input.gzBytes / 1e6 / run.seconds).toFixed(1)} | ` +
      `${(input.textBytes / 1e6 / run.seconds).toFixed(1)} | ${(input.textBytes / 1e6 / run.cpuSeconds).toFixed(1)} | ${run.tokens} | ${run.maxRssMB.toFixed(0)} MB | ${run.liveMB > 0 ? `${run.liveMB.toFixed(0)} MB` : "—"} |`);
  row("bytes", small, prepareInChild("bytes", small));
  row("bytes", big, prepareInChild("bytes", big));
  row("gpt2", small, prepareInChild("gpt2", small));
  row("gpt2", big, prepareInChild("gpt2", big));
  rmSync(join(tmpdir(), "motc-bench-data", "out-gpt2"), { recursive: true, force: true });
}

await main();
