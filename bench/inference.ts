// Inference benchmark (issue 3): tokens/s of compiled models on onnxruntime-node
// CPU against the same model with the same weights in PyTorch eager (Debian's
// python3-torch on OpenBLAS; the PyTorch reference test/reference/torch_model.py,
// timed by bench/torch_bench.py), the machine's fp32 matmul peak measured with ORT in
// the same run, FLOP utilisation, and MoT's share of time against its share of FLOPs.
//
// Every timing is taken twice: wall clock, and CPU time of all threads (user +
// system) divided by the thread count. On a quiet machine they agree; on a shared
// one the wall clock includes waiting for a core, while CPU time shows the work.
//
// Memory: each forward pass of the paper model at 32×256 returns 1.65 GB of logits.
// onnxruntime-node 1.30 copies every output into a fresh JS ArrayBuffer (also when
// `run` is given preallocated output tensors: ORT writes into them, then the
// binding copies again), and glibc serves a block that large with a fresh mmap,
// so the kernel zeroed ~400k new pages per run: ~25% of the CPU time, none of it
// ORT's work. The bench therefore runs itself (and PyTorch, which allocates its
// logits the same way) with glibc told to keep large blocks on the heap and reuse
// them (GLIBC_TUNABLES below); `--default-malloc` measures without it.
//
// Run: npx tsc -p . && node dist/bench/inference.js [--batch 32] [--torch-batch N] [--repeats 2] [--threads N] [--models mot_paper,tiny] [--default-malloc]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import onnxProto from "onnx-proto";
import { checkSpec } from "../src/check/index.js";
import { modelCost } from "../src/ir/cost.js";
import { initialWeights } from "../src/ir/init.js";
import type { ModelIR } from "../src/ir/model.js";
import { Random } from "../src/ir/random.js";
import { lowerToOnnx } from "../src/onnx/index.js";
import { forward } from "../src/run/forward.js";
import { idsData } from "../src/run/inputs.js";
import { loadOrt, openSession, sessionOptions } from "../src/run/session.js";
import { writeCheckpoint } from "../src/train/checkpoint.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const PYTHON = "/usr/bin/python3";
/** Seconds of timing at least (small models run many times, so one slow run does not decide). */
const MIN_SECONDS = 1;

interface Options {
  batch: number;
  torchBatch: number;
  repeats: number;
  threads: number;
  models: string[];
}

/** Best (smallest) wall-clock and per-thread CPU seconds over the timed runs. */
interface Timing {
  wall: number;
  cpu: number;
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string, fallback: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : fallback;
  };
  const batch = Number(value("--batch", "32"));
  return {
    batch,
    torchBatch: Number(value("--torch-batch", String(batch))),
    repeats: Number(value("--repeats", "2")),
    threads: Number(value("--threads", String(availableParallelism()))),
    models: value("--models", "mot_paper,tiny").split(","),
  };
}

function loadModels(): Map<string, ModelIR> {
  const models = new Map<string, ModelIR>();
  for (const file of ["specs/mot_paper.mot", "specs/tiny.mot"]) {
    const path = join(root, file);
    for (const model of checkSpec({ path, text: readFileSync(path, "utf8") }).models) models.set(model.name, model);
  }
  return models;
}

/** The model as .onnx plus what bench/torch_bench.py reads: model.json and a motc checkpoint (raw float32). */
function prepare(model: ModelIR, dir: string): string {
  const weights = initialWeights(model, 0);
  const onnxPath = join(dir, `${model.name}.onnx`);
  writeFileSync(onnxPath, lowerToOnnx(model, weights));
  writeCheckpoint(dir, model, 0, weights);
  writeFileSync(join(dir, "model.json"), JSON.stringify(model));
  return onnxPath;
}

function randomBatch(batch: number, length: number, vocab: number, seed: number): number[][] {
  const random = new Random(seed, "bench");
  return Array.from({ length: batch }, () => Array.from({ length }, () => random.int(vocab)));
}

/** Times `work` and keeps the best wall and CPU time; the callers alternate variants. */
async function measure(work: () => Promise<unknown>, threads: number): Promise<Timing> {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await work();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 / threads };
}

const best = (timings: Timing[]): Timing => ({ wall: Math.min(...timings.map((t) => t.wall)), cpu: Math.min(...timings.map((t) => t.cpu)) });

/**
 * ORT forward passes of each model after one warm-up: `repeats` at least and
 * ≥ MIN_SECONDS for the first. The models' runs alternate, so a busy moment on
 * a shared machine hits them alike.
 */
async function timeOrt(onnxPaths: string[], batch: number[][], repeats: number, threads: number): Promise<Timing[]> {
  const runs = await Promise.all(onnxPaths.map((path) => openSession(path, { providers: ["cpu"], threads })));
  for (const run of runs) await forward(run, batch);
  const times: Timing[][] = runs.map(() => []);
  while (times[0].length < repeats || (times[0].reduce((a, t) => a + t.wall, 0) < MIN_SECONDS && times[0].length < 100)) {
    for (const [i, run] of runs.entries()) times[i].push(await measure(() => forward(run, batch), threads));
  }
  for (const run of runs) await run.session.release();
  return times.map(best);
}

interface TorchResult {
  torch: string;
  threads: number;
  omp_wait_policy: string;
  openblas_threads: string;
  blas: string[];
  seconds: number;
  cpu_seconds: number;
  seconds_without_mot?: number;
  cpu_seconds_without_mot?: number;
}

function runTorch(dir: string, batch: number, length: number, options: Options, extra: string[] = []): TorchResult {
  const script = join(root, "bench/torch_bench.py");
  const args = [script, "forward", dir, "--batch", String(batch), "--length", String(length), "--repeats", String(options.repeats),
    "--threads", String(options.threads), "--min-seconds", String(MIN_SECONDS), ...extra];
  // Like ORT's sessions: idle threads sleep instead of spinning (OpenMP), and
  // OpenBLAS gets the same thread count (it keeps its own pthread pool).
  const env = { ...process.env, OMP_WAIT_POLICY: "PASSIVE", OPENBLAS_NUM_THREADS: String(options.threads) };
  const result = spawnSync(PYTHON, args, { encoding: "utf8", maxBuffer: 1 << 20, env });
  if (result.status !== 0) throw new Error(`${PYTHON} ${args.join(" ")} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop()!) as TorchResult;
}

/** max |ORT − PyTorch| over the logits of a small check batch: proof both run the same model. */
async function crossCheck(onnxPath: string, dir: string, model: ModelIR, options: Options): Promise<number> {
  const ids = randomBatch(5, Math.min(16, model.context), model.vocab, 1);
  const idsPath = join(dir, "check.json");
  writeFileSync(idsPath, JSON.stringify(ids));
  runTorch(dir, 1, 1, { ...options, repeats: 1 }, ["--check-ids", idsPath]);
  const torchLogits = new Float32Array(readFileSync(`${idsPath}.logits.bin`).buffer.slice(0));
  const run = await openSession(onnxPath, { providers: ["cpu"], threads: options.threads });
  const ort = await forward(run, ids);
  await run.session.release();
  if (torchLogits.length !== ort.logits.length) return NaN;
  let worst = 0;
  ort.logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - torchLogits[i]))));
  return worst;
}

/** fp32 matmul peak: one [n,n]·[n,n] MatMul graph on ORT CPU, best of several runs, GFLOP/s (wall and CPU). */
async function matmulPeak(threads: number, n = 2048, runs = 5): Promise<Timing> {
  const { onnx } = onnxProto;
  const weight = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const tensor = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } });
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "matmul_peak",
      node: [{ opType: "MatMul", input: ["x", "w"], output: ["y"] }],
      initializer: [{ name: "w", dims: [n, n], dataType: 1, rawData: new Uint8Array(weight.buffer) }],
      input: [tensor("x")],
      output: [tensor("y")],
    },
  })).finish();
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes, sessionOptions("cpu", threads));
  const x = new ort.Tensor("float32", weight, [n, n]);
  await session.run({ x });
  const times: Timing[] = [];
  for (let i = 0; i < runs; i++) times.push(await measure(() => session.run({ x }), threads));
  await session.release();
  const fastest = best(times);
  const gflop = (2 * n * n * n) / 1e9;
  return { wall: gflop / fastest.wall, cpu: gflop / fastest.cpu };
}

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/** Kernel time (µs) by part kind, and within MoT sublayers by operator. */
interface Profile {
  byKind: Map<string, number>;
  motOps: Map<string, number>;
}

/**
 * Where ORT spends one forward pass, by the part of the model each node belongs
 * to (the lowering scopes node names: `layers.3/MatMul_57`, `head/…`), from
 * onnxruntime's own profiler: the second of two runs, kernel time only.
 */
async function profileParts(onnxPath: string, model: ModelIR, batch: number[][], threads: number, dir: string): Promise<Profile> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(onnxPath, { ...sessionOptions("cpu", threads), enableProfiling: true, profileFilePrefix: join(dir, "profile") });
  const { data, dims } = idsData(batch);
  const feeds = { input_ids: new ort.Tensor("int64", data, dims) };
  await session.run(feeds);
  await session.run(feeds);
  session.endProfiling();
  await session.release();
  const file = readdirSync(dir).find((f) => f.startsWith("profile") && f.endsWith(".json"));
  const events = JSON.parse(readFileSync(join(dir, file!), "utf8")) as ProfileEvent[];
  const lastRun = Math.max(...events.filter((e) => e.name === "model_run").map((e) => e.ts));
  const byKind = new Map<string, number>();
  const motOps = new Map<string, number>();
  for (const event of events) {
    if (event.cat !== "Node" || event.ts < lastRun) continue;
    const scope = event.name.split("/")[0];
    const layer = /^layers\.(\d+)$/.exec(scope);
    const kind = layer
      ? model.sublayers.find((l) => l.index === Number(layer[1]))?.kind ?? "other"
      : scope === "head" ? "head" : ["embed", "positions", "past_length"].includes(scope) ? "embed" : "other";
    byKind.set(kind, (byKind.get(kind) ?? 0) + event.dur);
    const op = event.args?.op_name ?? "?";
    if (kind === "mot") motOps.set(op, (motOps.get(op) ?? 0) + event.dur);
  }
  return { byKind, motOps };
}

function withoutMot(model: ModelIR): ModelIR {
  return { ...model, name: `${model.name}_no_mot`, sublayers: model.sublayers.filter((layer) => layer.kind !== "mot") };
}

interface Row {
  model: string;
  ortTokens: [number, number];
  torchTokens: [number, number];
  ort: Timing;
  ortNoMot: Timing;
  torch: TorchResult;
  flopsPerToken: number;
  maxDiff: number;
  /** FLOPs per token by part kind, from src/ir/cost.ts. */
  flops: Map<string, number>;
  /** Kernel time by part kind (embed, attention, mot, ff, head, other), µs, from ORT's profiler. */
  profile: Profile;
}

async function benchModel(model: ModelIR, options: Options): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `motc-bench-${model.name}-`));
  const noMotDir = mkdtempSync(join(tmpdir(), `motc-bench-${model.name}-nomot-`));
  try {
    const length = model.context;
    const onnxPath = prepare(model, dir);
    // MoT's share of time: the same model with every mot sublayer replaced by identity.
    const noMotPath = prepare(withoutMot(model), noMotDir);
    const batch = randomBatch(options.batch, length, model.vocab, 0);
    const [ort, ortNoMot] = await timeOrt([onnxPath, noMotPath], batch, options.repeats, options.threads);
    const torch = runTorch(dir, options.torchBatch, length, options, ["--mot-share"]);
    const maxDiff = await crossCheck(onnxPath, dir, model, options);
    const profile = await profileParts(onnxPath, model, batch, options.threads, dir);
    const cost = modelCost(model);
    const flops = new Map<string, number>();
    for (const part of cost.parts) flops.set(part.kind, (flops.get(part.kind) ?? 0) + part.flopsPerToken);
    return {
      model: model.name, ortTokens: [options.batch, length], torchTokens: [options.torchBatch, length],
      ort, ortNoMot, torch, flopsPerToken: cost.flopsPerToken, maxDiff, flops, profile,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(noMotDir, { recursive: true, force: true });
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
const tokens = ([b, t]: [number, number]) => b * t;

function report(rows: Row[], peaks: Timing[], options: Options, load: string): void {
  const peak: Timing = { wall: Math.max(...peaks.map((p) => p.wall)), cpu: Math.max(...peaks.map((p) => p.cpu)) };
  console.log(`motc inference benchmark — onnxruntime-node CPU, ${options.threads} intra-op threads (spinning off); best of ≥${options.repeats} runs after a warm-up`);
  console.log(`load average: ${load}; malloc: ${process.env.GLIBC_TUNABLES === MALLOC_TUNABLES ? `GLIBC_TUNABLES=${MALLOC_TUNABLES} (ORT and PyTorch)` : "glibc defaults (--default-malloc)"}`);
  console.log(`fp32 matmul peak (ORT, one 2048³ MatMul, measured ${peaks.length}×): ${peaks.map((p) => p.wall.toFixed(1)).join(", ")} GFLOP/s wall; ${peaks.map((p) => p.cpu.toFixed(1)).join(", ")} per-thread CPU time; utilisation uses the highest of each\n`);
  for (const clock of ["wall", "cpu"] as const) {
    console.log(clock === "wall" ? "Wall clock:" : "\nCPU time (all threads' user + system ÷ threads; what the run would take with the cores to itself):");
    console.log(table(
      ["model", "ORT B×T", "ORT tok/s", "torch B×T", "torch tok/s", "ORT/torch", "MFLOP/tok", "ORT GFLOP/s", "utilisation", "MoT FLOPs", "MoT time ORT", "MoT time torch"],
      rows.map((r) => {
        const ortTps = tokens(r.ortTokens) / r.ort[clock];
        const torchSeconds = clock === "wall" ? r.torch.seconds : r.torch.cpu_seconds / options.threads;
        const torchNoMot = clock === "wall" ? r.torch.seconds_without_mot! : r.torch.cpu_seconds_without_mot! / options.threads;
        const torchTps = tokens(r.torchTokens) / torchSeconds;
        const gflops = (r.flopsPerToken * ortTps) / 1e9;
        return [
          r.model, r.ortTokens.join("×"), num(ortTps), r.torchTokens.join("×"), num(torchTps), `${(ortTps / torchTps).toFixed(2)}×`,
          (r.flopsPerToken / 1e6).toFixed(2), gflops.toFixed(1), pct(gflops / peak[clock]),
          pct((r.flops.get("mot") ?? 0) / r.flopsPerToken), pct(1 - r.ortNoMot[clock] / r.ort[clock]), pct(1 - torchNoMot / torchSeconds),
        ];
      }),
    ));
  }
  console.log("\nMoT time = time saved when every mot sublayer is replaced by identity (runs alternate with the full model).");
  for (const r of rows) {
    const byKind = r.profile.byKind;
    const kinds = [...new Set([...r.flops.keys(), ...byKind.keys()])];
    const totalTime = [...byKind.values()].reduce((a, b) => a + b, 0);
    const totalFlops = [...r.flops.values()].reduce((a, b) => a + b, 0);
    console.log(`\n${r.model}: ORT profiler, one ${r.ortTokens.join("×")} run (kernel time ${(totalTime / 1e6).toFixed(2)} s), share of time vs share of FLOPs`);
    console.log(table(["part", "FLOP share", "time share", "time ÷ FLOP share"], kinds.map((k) => {
      const time = (byKind.get(k) ?? 0) / totalTime;
      const flop = (r.flops.get(k) ?? 0) / totalFlops;
      return [k, pct(flop), pct(time), flop > 0 ? `${(time / flop).toFixed(2)}` : "-"];
    })));
    const motTime = byKind.get("mot") ?? 0;
    const ops = [...r.profile.motOps.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    if (ops.length > 0) console.log(`  inside mot: ${ops.map(([op, us]) => `${op} ${pct(us / motTime)}`).join(", ")}`);
  }
  for (const r of rows) console.log(`\n${r.model}: max |ORT − PyTorch| logits on a 5×16 check batch: ${r.maxDiff.toExponential(1)}`);
  const t = rows[0]?.torch;
  if (t) console.log(`PyTorch: torch ${t.torch}, ${t.threads} threads, OMP_WAIT_POLICY=${t.omp_wait_policy}, OPENBLAS_NUM_THREADS=${t.openblas_threads}; BLAS libraries mapped: ${t.blas.join(" ") || "none"}`);
  console.log("Goals: ORT ≥ 1.5× PyTorch eager; utilisation ≥ 50% at batch 32 × 256; MoT's time share ≤ its FLOP share.");
}

/** glibc malloc: blocks up to 4 GiB come from the heap and freed memory stays there for the next run. */
const MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296";

/** Re-runs this bench under MALLOC_TUNABLES (tunables are read at process start); true when it did. */
function reexecWithMallocTunables(): boolean {
  if (process.argv.includes("--default-malloc") || process.env.GLIBC_TUNABLES === MALLOC_TUNABLES) return false;
  const result = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit", env: { ...process.env, GLIBC_TUNABLES: MALLOC_TUNABLES },
  });
  process.exitCode = result.status ?? 1;
  return true;
}

async function main(): Promise<void> {
  if (reexecWithMallocTunables()) return;
  const options = parseArgs(process.argv.slice(2));
  const models = loadModels();
  const loadBefore = loadavg()[0].toFixed(1);
  const peaks = [await matmulPeak(options.threads)];
  const rows: Row[] = [];
  for (const name of options.models) {
    const model = models.get(name);
    if (!model) throw new Error(`no model '${name}' in specs/mot_paper.mot or specs/tiny.mot`);
    rows.push(await benchModel(model, options));
    peaks.push(await matmulPeak(options.threads));
  }
  report(rows, peaks, options, `${loadBefore} at the start, ${loadavg()[0].toFixed(1)} at the end (1-minute)`);
}

await main();
