// train.py (src/torch/train.ts, loop.ts): motc's Random in Python against the
// TypeScript one; a run's metrics, run directory and checkpoints, which motc's
// own reader accepts; --stop-at then --resume and kill -9 then --resume
// reproduce the uninterrupted run exactly; and its failures, one coded line each.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { initialWeights } from "../../src/ir/init.js";
import { Random } from "../../src/ir/random.js";
import { readMetrics } from "../../src/train/metrics.js";
import { readTrainingCheckpoint } from "../../src/train/resume.js";
import { python, missingChecker, requireChecker } from "../support/checkers.js";
import { smallModel, smallRecipe } from "../train/fixture.js";
import { curve, pythonEnv, runTrain, textTokens, writeDataset, writeProgram } from "./support.js";

/** checkpoint.json as the tests below edit it. */
interface Stored {
  step: unknown;
  extra: { trainer: { recipe: Record<string, unknown>; data: unknown } };
}

const recipe = smallRecipe({ steps: 16, evalEvery: 8, checkpointEvery: 4, warmup: 2, lr: 2e-2 });
const model = smallModel(recipe);
let dir = "";
let program = "";
let data = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "motc-torch-train-"));
  if (missingChecker("python3-torch")) return;
  program = writeProgram(join(dir, "small.torch"), model, initialWeights(model, recipe.seed), recipe);
  const tokens = textTokens(24_000);
  data = writeDataset(join(dir, "data"), { train: tokens.slice(0, 20_000), val: tokens.slice(20_000) }, { shardTokens: 7_000 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("train.py's Random draws motc's numbers, and the first batch starts are pinned", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const script = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(program)})`,
    "from train import Random, batch_starts",
    "r = Random(7, 'data.batch.3')",
    "draws = [r.next_uint32() for _ in range(5)] + [r.index(n) for n in (10, 1000003, 2**40, 2**53 - 1)]",
    "print(json.dumps({'draws': draws, 'starts': batch_starts(0, 1, 1000000 + 16, 16, 4), 'emoji': Random(3, 'é✓🙂').next_uint32()}))",
  ].join("\n");
  const result = spawnSync(python, ["-c", script], { encoding: "utf8", env: pythonEnv });
  assert.equal(result.status, 0, result.stderr);
  const theirs = JSON.parse(result.stdout) as { draws: number[]; starts: number[]; emoji: number };
  const random = new Random(7, "data.batch.3");
  const ours = [...Array.from({ length: 5 }, () => random.nextUint32()), ...[10, 1000003, 2 ** 40, 2 ** 53 - 1].map((n) => random.index(n))];
  assert.deepEqual(theirs.draws, ours);
  assert.equal(theirs.emoji, new Random(3, "é✓🙂").nextUint32());
  // CONTRACTS 2: update 1 of seed 0 over N = 1,000,016 tokens with C = 16 draws index(1,000,000).
  const first = new Random(0, "data.batch.1");
  assert.deepEqual(Array.from({ length: 4 }, () => first.index(1_000_000)), [913121, 929627, 1857, 819464]);
  assert.deepEqual(theirs.starts, [913121, 929627, 1857, 819464]);
});

test("train.py trains, writes metrics.jsonl and a run directory of checkpoints that motc reads", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const run = join(dir, "run-plain");
  const result = runTrain(program, ["--data", data, "--out", run, "--steps", "10"]);
  assert.equal(result.status, 0, result.stderr);
  // Checkpoints at 4, 8 and the last step, 10; only the newest two are kept.
  assert.deepEqual(readdirSync(run).sort(), ["checkpoint-000008", "checkpoint-000010", "latest", "metrics.jsonl"]);
  assert.equal(readFileSync(join(run, "latest"), "utf8"), "checkpoint-000010\n");
  const metrics = readMetrics(join(run, "metrics.jsonl"));
  assert.deepEqual(metrics.map((r) => `${r.kind}${r.step}`), ["eval0", ...Array.from({ length: 10 }, (_, i) => `train${i + 1}`).flatMap((s) => (s === "train8" ? [s, "eval8"] : [s])), "eval10"]);
  const { train } = curve(metrics);
  assert.ok(train[9] < train[0] - 0.5, `the loss should fall: ${train[0]} → ${train[9]}`);
  for (const record of metrics) if (record.kind === "train") assert.deepEqual(Object.keys(record), ["kind", "step", "loss", "lr", "grad_norm", "tokens_per_s", "elapsed_s"]);
  // motc's own reader: parameters, shapes, hashes of weights.bin and optimizer.bin, the model fingerprint.
  const checkpoint = readTrainingCheckpoint(join(run, "checkpoint-000010"), model);
  assert.equal(checkpoint.step, 10);
  assert.equal(checkpoint.optimizer.step, 10);
  assert.equal(checkpoint.trainer.engine, "torch");
  assert.deepEqual(checkpoint.trainer.recipe, { ...recipe, steps: 10 });
  const m = checkpoint.optimizer.m.get("layers.1.mot.w1")!;
  assert.ok(m.some((value) => value !== 0), "the first moments were written");
  assert.notDeepEqual(checkpoint.weights.get("layers.1.mot.w1"), initialWeights(model, recipe.seed).get("layers.1.mot.w1"));
});

/** sha256 of a run's latest weights.bin. */
function latestWeights(run: string): string {
  const latest = readFileSync(join(run, "latest"), "utf8").trim();
  return createHash("sha256").update(readFileSync(join(run, latest, "weights.bin"))).digest("hex");
}

test("--stop-at then --resume, and kill -9 then --resume, give the uninterrupted run's losses and weights bit for bit", async (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const whole = join(dir, "run-whole");
  assert.equal(runTrain(program, ["--data", data, "--out", whole]).status, 0);
  const expected = curve(readMetrics(join(whole, "metrics.jsonl")));

  const stopped = join(dir, "run-stopped");
  const first = runTrain(program, ["--data", data, "--out", stopped, "--stop-at", "6"]);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(readFileSync(join(stopped, "latest"), "utf8"), "checkpoint-000006\n");
  const second = runTrain(program, ["--data", data, "--out", stopped, "--resume"]);
  assert.equal(second.status, 0, second.stderr);
  assert.deepEqual(curve(readMetrics(join(stopped, "metrics.jsonl"))), expected);
  assert.equal(latestWeights(stopped), latestWeights(whole));

  // kill -9 once step 9 is reported: the run resumes from checkpoint 8 (metrics past it are dropped).
  const killed = join(dir, "run-killed");
  const child = spawn(python, [join(program, "train.py"), "--progress", "json", "--data", data, "--out", killed], { env: pythonEnv, stdio: ["ignore", "pipe", "pipe"] });
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const record = JSON.parse(line) as { kind: string; step: number };
    if (record.kind === "train") seen = record.step;
    if (seen >= 9) {
      child.kill("SIGKILL");
      break;
    }
  }
  await new Promise((resolve) => child.once("exit", resolve));
  assert.ok(seen >= 9 && seen < 16, `killed after step ${seen}`);
  const resumed = runTrain(program, ["--data", data, "--out", killed, "--resume"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(String(resumed.records.find((r) => r.kind === "note")?.text), /resuming small from step (8|12)/);
  assert.deepEqual(curve(readMetrics(join(killed, "metrics.jsonl"))), expected);
  assert.equal(latestWeights(killed), latestWeights(whole));
});

test("train.py's failures: one coded line each, and nothing written", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const tiny = writeDataset(join(dir, "tiny-data"), { train: textTokens(20), val: textTokens(40) });
  const noVal = writeDataset(join(dir, "no-val"), { train: textTokens(2_000), val: textTokens(10) });
  const gpt2 = writeDataset(join(dir, "gpt2-data"), { train: textTokens(2_000), val: textTokens(100) }, { vocab: 50257, tokenizer: "gpt2", eot: 50256 });
  const torn = writeDataset(join(dir, "torn-data"), { train: textTokens(2_000), val: textTokens(100) });
  truncateSync(join(torn, "train-00000.bin"), 1000);
  const foreign = join(dir, "foreign-data");
  mkdirSync(foreign);
  writeFileSync(join(foreign, "manifest.json"), JSON.stringify({ format: "something-else", version: 1 }));
  const probe = spawnSync(python, ["-c", "import torch; print(torch.__version__.split('.')[0], torch.cuda.is_available())"], { encoding: "utf8", env: pythonEnv });
  const [major, cuda] = probe.stdout.trim().split(" ");
  const corrupt = writeDataset(join(dir, "corrupt-data"), { train: Array.from({ length: 2_000 }, () => 300), val: textTokens(100) });
  const cases: [string[], string, RegExp][] = [
    [["--data", noVal], "MOT627", /the val split of \S*no-val has 10 tokens, fewer than one window of 17; prepare it with a larger --val/],
    [["--data", gpt2], "MOT624", /dataset \S*gpt2-data holds gpt2 tokens \(vocab 50257\), but model 'small' has vocab 256/],
    [["--data", torn], "MOT622", /\S*torn-data: shard train-00000\.bin has 1000 bytes, but the manifest says 2000 tokens of uint16/],
    [["--data", foreign], "MOT621", /\S*foreign-data: manifest\.json is not a motc dataset of version 1 \(format is not "motc-dataset"\)/],
    [["--data", corrupt], "MOT623", /\S*corrupt-data: token \d+ of the train split is 300, not below the vocabulary of 256 \(a corrupt shard\?\)/],
    ...(Number(major) < 2 ? [[["--data", data, "--fsdp"], "MOT721", /--fsdp needs a PyTorch whose FSDP2 fully_shard takes ignored_params \(2\.7 or later; this is PyTorch 1\.\S+\)/] as [string[], string, RegExp]] : []),
    ...(cuda === "False" ? [[["--data", data, "--device", "cuda"], "MOT723", /--device cuda, but PyTorch \S+ sees no CUDA device/] as [string[], string, RegExp]] : []),
    [["--data", tiny], "MOT626", /the train split of \S*tiny-data has 20 tokens, but a batch of 8 windows of 17 needs at least 25; give more data or a smaller --batch/],
    [["--data", data, "--batch", "6", "--accumulate", "4"], "MOT720", /the batch of 6 rows does not split into 1 ranks × 4 micro-batches \(--accumulate\)/],
    [["--data", join(dir, "nowhere")], "MOT620", /\S*nowhere: not a prepared dataset \(no manifest\.json\); make one with 'motc data prepare'/],
    [["--data", data, "--dtype", "bf16", "--device", "cpu"], "MOT722", /--dtype bf16 runs on CUDA only \(this run is on cpu\)/],
    [["--data", data, "--resume"], "MOT510", /\S*run-fail-MOT510: no checkpoint to resume \(pass no --resume to start afresh\)/],
  ];
  for (const [args, code, message] of cases) {
    const out = join(dir, `run-fail-${code}`);
    const result = runTrain(program, [...args, "--out", out]);
    assert.equal(result.status, 1, `${code}: ${result.stderr}`);
    // Refused before anything trains; a corrupt token only shows when a batch reads it.
    assert.deepEqual(result.records.map((r) => r.kind), code === "MOT623" ? ["start", "eval", "error"] : ["error"]);
    assert.equal(result.records.at(-1)!.code, code);
    assert.ok(!existsSync(join(out, "latest")), `${code}: a checkpoint was written`);
    // A person running it sees the same message on one line.
    const text = spawnSync(python, [join(program, "train.py"), ...args, "--out", out], { encoding: "utf8", env: pythonEnv });
    assert.match(text.stderr.trim().split("\n").at(-1)!, new RegExp(`^train\\.py: error ${code}: ${message.source}$`));
  }
  // One run per directory: a live process's lock refuses train.py; a dead one's is taken over, and released at the end.
  const locked = join(dir, "run-locked");
  mkdirSync(locked);
  writeFileSync(join(locked, "lock"), `${process.pid}\n`);
  const refused = runTrain(program, ["--data", data, "--out", locked, "--steps", "1"]);
  assert.deepEqual(refused.records.map((r) => [r.kind, r.code]), [["error", "MOT504"]]);
  assert.deepEqual(refused.records[0].args, [locked, process.pid, join(locked, "lock")]);
  writeFileSync(join(locked, "lock"), "999999999\n");
  assert.equal(runTrain(program, ["--data", data, "--out", locked, "--steps", "1"]).status, 0);
  assert.ok(!existsSync(join(locked, "lock")), "the lock outlived the run");
  // A run directory that holds a checkpoint is continued with --resume, not overwritten.
  const run = join(dir, "run-plain");
  const again = runTrain(program, ["--data", data, "--out", run, "--steps", "10"]);
  assert.equal(again.records[0].code, "MOT500");
  // Resuming on other data is refused: the batches would differ.
  const other = writeDataset(join(dir, "other-data"), { train: textTokens(20_001), val: textTokens(4_000) });
  assert.equal(runTrain(program, ["--data", other, "--out", run, "--steps", "12", "--resume"]).records[0].code, "MOT514");
  // What changes the curve is refused (MOT517) unless --force, which says so; a step past --steps is refused (MOT518).
  const changed = runTrain(program, ["--data", data, "--out", run, "--steps", "12", "--resume", "--lr", "0.5"]);
  assert.deepEqual(changed.records.map((r) => [r.kind, r.code]), [["error", "MOT517"]]);
  assert.deepEqual(changed.records[0].args, [join(run, "checkpoint-000010"), "lr", String((JSON.parse(readFileSync(join(run, "checkpoint-000010", "checkpoint.json"), "utf8")) as Stored).extra.trainer.recipe.lr), "0.5"]);
  const past = runTrain(program, ["--data", data, "--out", run, "--steps", "5", "--resume"]);
  assert.deepEqual(past.records.map((r) => [r.kind, r.code]), [["error", "MOT518"]]);
  assert.deepEqual(past.records[0].args, [join(run, "checkpoint-000010"), 10, 5]);
  const forced = join(dir, "run-forced");
  cpSync(run, forced, { recursive: true });
  const withForce = runTrain(program, ["--data", data, "--out", forced, "--steps", "12", "--resume", "--lr", "0.5", "--force"]);
  assert.equal(withForce.status, 0, withForce.stderr);
  assert.match(JSON.stringify(withForce.records), /--force: resuming with lr 0\.5 \(the checkpoint was trained with [^)]+\): the curve from step 10 on differs/);
  // A trainer record that is not motc's is refused naming the field, never a traceback.
  for (const [edit, path, expected] of [
    [(m: Stored) => delete m.extra.trainer.recipe.batch, "extra.trainer.recipe.batch", "a non-negative integer"],
    [(m: Stored) => (m.step = "x"), "step", "a non-negative integer"],
    [(m: Stored) => (m.extra.trainer.data = [1]), "extra.trainer.data", "an object"],
  ] as const) {
    const torn = join(dir, `run-torn-${path}`);
    cpSync(run, torn, { recursive: true });
    const file = join(torn, "checkpoint-000010", "checkpoint.json");
    const manifest = JSON.parse(readFileSync(file, "utf8")) as Stored;
    edit(manifest);
    writeFileSync(file, JSON.stringify(manifest));
    const refused = runTrain(program, ["--data", data, "--out", torn, "--steps", "12", "--resume"]);
    assert.equal(refused.status, 1, refused.stderr);
    assert.deepEqual(refused.records.map((r) => [r.kind, r.code]), [["error", "MOT330"]], path);
    assert.deepEqual(refused.records[0].args!.slice(0, 3), [file, path, expected]);
  }
});
