// `motc train --engine torch`: the model's PyTorch program (src/torch/) written
// into the run directory and run by a Python that has PyTorch, on one process
// or N ranks on this machine (started here with torchrun's environment:
// MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK). Rank 0 streams its
// metrics as JSON lines (train.py --progress json), which drive motc's usual
// progress bar, notes, loss.svg and final line. Signals are the CLI's: when it
// aborts `signal`, every rank is asked once (SIGINT) to finish its step and save.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { UserError } from "../base/errors.js";
import type { FailureCode } from "../base/messages.js";
import { writeFileAtomic } from "../base/files.js";
import { initialWeights } from "../ir/init.js";
import { formatBytes, trainingMemory } from "../ir/memory.js";
import { parameterTable, paramCount } from "../ir/params.js";
import type { ModelIR, Recipe } from "../ir/model.js";
import type { TrainOutcome } from "./loop.js";
import { METRICS, readMetrics, type MetricsRecord } from "./metrics.js";
import { lossCurveSvg } from "./plot.js";
import { Progress, formatDuration, type ProgressStream } from "./progress.js";
import { writeTorchProgram } from "./torch-program.js";

export interface TorchTrainRun {
  model: ModelIR;
  /** The recipe to run, flags already applied (baked into train.py). */
  recipe: Recipe;
  /** The spec's path, as the program's docstrings name it. */
  spec: string;
  /** A prepared dataset directory (CONTRACTS 1). */
  data: string;
  out: string;
  resume: boolean;
  /** --resume with a changed lr, warmup, schedule, optimizer, clip or temp. */
  force?: boolean;
  /** Start from this checkpoint's weights (or a run directory's latest) with a new optimizer. */
  resumeFrom?: string;
  stopAt?: number;
  /** Ranks on this machine. */
  nproc: number;
  device: "auto" | "cpu" | "cuda";
  dtype: "fp32" | "bf16";
  fsdp: boolean;
  /** Micro-batches per rank and step. */
  accumulate: number;
  logEvery: number;
  /** The Python to run (MOTC_PYTHON, else python3). */
  python: string;
  print: (line: string) => void;
  progress: ProgressStream;
  /** Aborted by the CLI on a stop signal: the ranks finish their step, save and stop. */
  signal?: AbortSignal;
}

/** The Python to run and its PyTorch version; a coded error saying what to install when there is none. */
export function findTorchPython(python: string): string {
  const probe = spawnSync(python, ["-c", "import numpy, torch; print(torch.__version__)"], { encoding: "utf8", timeout: 120_000 });
  if (probe.error) throw new UserError("MOT700", [python, (probe.error as NodeJS.ErrnoException).code ?? probe.error.message]);
  if (probe.status !== 0) throw new UserError("MOT701", [python, (probe.stderr || "").trim().split("\n").pop() || `exit ${probe.status}`]);
  return probe.stdout.trim();
}

/** Writes the program into RUN/NAME.torch/, runs its ranks and follows rank 0's records to the outcome. */
export async function trainWithTorch(run: TorchTrainRun): Promise<TrainOutcome> {
  const torchVersion = findTorchPython(run.python);
  const program = writeTorchProgram(join(run.out, `${run.model.name}.torch`), run.model, initialWeights(run.model, run.recipe.seed), { recipe: run.recipe, spec: run.spec });
  const args = [
    join(program.dir, "train.py"), "--data", run.data, "--out", run.out, "--progress", "json",
    "--device", run.device, "--dtype", run.dtype, "--accumulate", String(run.accumulate),
    ...(run.resume ? ["--resume"] : []),
    ...(run.resume && run.force ? ["--force"] : []),
    ...(run.resumeFrom ? ["--resume-from", run.resumeFrom] : []),
    ...(run.stopAt ? ["--stop-at", String(run.stopAt)] : []),
    ...(run.fsdp ? ["--fsdp"] : []),
  ];
  const ranks = await startRanks(run.python, args, run.nproc);
  const interrupt = () => ranks.interrupt();
  run.signal?.addEventListener("abort", interrupt, { once: true });
  try {
    return await follow(run, ranks, torchVersion);
  } finally {
    run.signal?.removeEventListener("abort", interrupt);
  }
}

interface Ranks {
  children: ChildProcess[];
  /** Each rank's exit code (128 + n for a signal). */
  exits: Promise<number[]>;
  /** The ranks that failed, in the order they did. */
  failures: number[];
  /** Asks every rank still running to finish its step, save and stop. */
  interrupt(): void;
}

async function startRanks(python: string, args: string[], nproc: number): Promise<Ranks> {
  const port = await freePort();
  // Ranks share the cores (as torchrun sets OMP_NUM_THREADS); one rank keeps PyTorch's default.
  const threads = process.env.OMP_NUM_THREADS ?? (nproc > 1 ? String(Math.max(1, Math.floor(availableParallelism() / nproc))) : undefined);
  const children = Array.from({ length: nproc }, (_, rank) =>
    spawn(python, args, {
      // Their own process group: a Ctrl-C in the terminal reaches motc, which asks each rank once.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env, MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), WORLD_SIZE: String(nproc), RANK: String(rank),
        LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(nproc), MOTC_PARENT_PID: String(process.pid),
        ...(threads ? { OMP_NUM_THREADS: threads } : {}),
        PYTHONUNBUFFERED: "1",
      },
    }),
  );
  // A rank that fails leaves the others waiting in a collective (or the rendezvous,
  // where no signal handler runs): they are asked to stop, then killed.
  const failures: number[] = [];
  const stopOthers = () => {
    for (const other of children) if (other.exitCode === null && other.signalCode === null) other.kill("SIGTERM");
    setTimeout(() => children.forEach((other) => other.exitCode === null && other.signalCode === null && other.kill("SIGKILL")), 5_000).unref();
  };
  const exits = Promise.all(children.map((child, rank) => new Promise<number>((resolve) => {
    child.on("error", () => resolve(127));
    child.on("exit", (code, signal) => {
      // 130: the rank stopped on an interrupt, after the others saved with it.
      if (code !== 0 && code !== 130 && failures.length === 0) stopOthers();
      if (code !== 0) failures.push(rank);
      resolve(code ?? 128 + signalNumber(signal));
    });
  })));
  return {
    children,
    exits,
    failures,
    interrupt() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
    },
  };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

type RunRecord =
  | MetricsRecord
  | { kind: "start"; step: number; steps: number; resumed: boolean; device: string; world: number; accumulate: number; dtype: string; torch: string;
      train_tokens: number; val_tokens: number; tokenizer: string; unigram_entropy: number | null }
  | { kind: "note"; text: string }
  | { kind: "saved"; step: number }
  | { kind: "done"; step: number; steps: number; loss: number | null; eval_loss: number | null; interrupted: boolean; seconds: number; updates: number; peak_memory: number }
  | { kind: "error"; code: FailureCode; args: (string | number)[] };

/** Reads rank 0's records into the progress display; resolves with the outcome or rejects with the run's error. */
async function follow(run: TorchTrainRun, ranks: Ranks, torchVersion: string): Promise<TrainOutcome> {
  const progress = new Progress(run.progress, run.recipe.steps, run.logEvery);
  const tails = ranks.children.map(() => [] as string[]);
  ranks.children.forEach((child, rank) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      tails[rank].push(line);
      if (tails[rank].length > 20) tails[rank].shift();
      if (rank === 0) progress.note(line); // Python's warnings
    });
  });
  let start: Extract<RunRecord, { kind: "start" }> | undefined;
  let done: Extract<RunRecord, { kind: "done" }> | undefined;
  let error: Extract<RunRecord, { kind: "error" }> | undefined;
  let firstStep = 0;
  const plot = () => drawLossCurve(run, start?.unigram_entropy ?? undefined, start?.device ?? run.device);
  for await (const line of createInterface({ input: ranks.children[0].stdout! })) {
    let record: RunRecord;
    try {
      record = JSON.parse(line) as RunRecord;
    } catch {
      progress.note(line); // something the program printed itself
      continue;
    }
    switch (record.kind) {
      case "start":
        start = record;
        firstStep = record.step;
        run.print(
          `data: ${run.data} — ${record.train_tokens} train, ${record.val_tokens} val ${record.tokenizer} tokens` +
            (record.unigram_entropy === null ? "" : `; unigram entropy ${record.unigram_entropy.toFixed(3)} nats/token`),
        );
        run.print(`torch ${record.torch} on ${record.device}: ${record.world} rank(s) × ${record.accumulate} micro-batch(es), ${record.dtype}`);
        break;
      case "note":
        progress.clearBar();
        run.print(record.text);
        break;
      case "train":
        progress.step({ step: record.step, loss: record.loss, tokensPerSecond: record.tokens_per_s, elapsed: record.elapsed_s, stepsThisRun: record.step - firstStep });
        break;
      case "eval":
        progress.note(`step ${record.step}: eval loss ${record.eval_loss.toFixed(4)}`);
        plot();
        break;
      case "saved":
        break;
      case "done":
        done = record;
        break;
      case "error":
        error = record;
        break;
    }
  }
  const exits = await ranks.exits;
  progress.clearBar();
  if (existsSync(join(run.out, METRICS))) plot();
  // Stopped by the CLI's signal: the CLI says so (with the signal's name and exit code).
  if (error?.code === "MOT503" && run.signal?.aborted) {
    return { step: Number(error.args[1]), backend: `torch ${start?.device ?? run.device}`, unigramEntropy: start?.unigram_entropy ?? Number.NaN, interrupted: true };
  }
  // train.py's failure: the same code and values, worded by motc's table.
  if (error) throw new UserError(error.code, error.args);
  if (ranks.failures.length > 0 || !done) {
    const rank = ranks.failures[0] ?? 0;
    const reason = tails[rank].filter((l) => l.trim()).pop() ?? "no output";
    throw new UserError("MOT702", [rank, exits.length, exits[rank], reason]);
  }
  const time = formatDuration(done.seconds);
  const entropy = start?.unigram_entropy;
  // What one rank holds, against motc's estimate at the rows of one micro-batch (DDP keeps a full replica).
  const rows = run.recipe.batch / (exits.length * run.accumulate);
  const params = parameterTable(run.model).reduce((sum, p) => sum + paramCount(p.shape), 0);
  const estimate = trainingMemory(run.model, params, rows, run.recipe.context).bytes.total;
  const where = start?.device.startsWith("cuda") ? "allocated on the GPU" : "resident";
  run.print(`peak memory of rank 0: ${formatBytes(done.peak_memory)} ${where} (motc's estimate for ${rows} rows: ${formatBytes(estimate)})`);
  run.print(
    `${done.step === done.steps ? "trained" : "stopped"} ${run.model.name} to step ${done.step}/${done.steps} on torch ${torchVersion} ` +
      `${start?.device ?? run.device} (${exits.length} rank${exits.length === 1 ? "" : "s"}) in ${time}: train loss ${done.loss?.toFixed(4) ?? "-"}` +
      `${done.eval_loss === null ? "" : `, eval loss ${done.eval_loss.toFixed(4)}`}` +
      `${entropy === null || entropy === undefined ? "" : ` (unigram entropy ${entropy.toFixed(3)})`}; checkpoint in ${run.out}`,
  );
  return { step: done.step, backend: `torch ${start?.device ?? run.device}`, loss: done.loss ?? undefined, evalLoss: done.eval_loss ?? undefined, unigramEntropy: entropy ?? Number.NaN, interrupted: false };
}

function drawLossCurve(run: TorchTrainRun, entropy: number | undefined, device: string): void {
  const records = readMetrics(join(run.out, METRICS));
  writeFileAtomic(join(run.out, "loss.svg"), lossCurveSvg(records, {
    title: `${run.model.name} — torch ${device}`,
    steps: run.recipe.steps,
    reference: entropy === undefined ? undefined : { value: entropy, label: `unigram entropy ${entropy.toFixed(2)}` },
  }));
}
