// `motc train` as a user runs it: Ctrl-C then --resume reproduces the
// uninterrupted run, and every bad input ends with one clear line.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkpointDirectory, readManifest } from "../../src/train/checkpoint.js";
import { readMetrics, type MetricsRecord } from "../../src/train/metrics.js";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";

const spec = join(repoRoot, "test/fixtures/train/small.mot");
const backend = process.env.MOTC_TEST_BACKEND ?? "wasm";
const scratch = mkdtempSync(join(tmpdir(), "motc-train-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
// Text --data is prepared into the dataset cache: this test's own, not the user's.
process.env.XDG_CACHE_HOME = join(scratch, "cache");
const data = join(scratch, "data.txt");
writeFileSync(data, "It was the best of times, it was the worst of times, it was the age of wisdom. ".repeat(400));

/** `motc train` on the fixture; `--data` defaults to the scratch text. */
const train = (...args: string[]) =>
  runMotc(["train", spec, "--backend", backend, ...(args.includes("--data") ? [] : ["--data", data]), ...args], { timeoutMs: 120_000 });

/** stderr ends with exactly one `motc:` line and no stack trace. */
function assertOneLineFailure(result: { code: number; stderr: string }, code: number, pattern: RegExp) {
  assert.equal(result.code, code, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assert.match(lines[lines.length - 1], pattern);
  assert.equal(lines.filter((l) => l.startsWith("motc:")).length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
}

function curve(dir: string): MetricsRecord[] {
  return readMetrics(join(dir, "metrics.jsonl")).map((r) => (r.kind === "train" ? { ...r, tokens_per_s: 0, elapsed_s: 0 } : r));
}

test("Ctrl-C saves a checkpoint and exits 130; --resume then reproduces the uninterrupted run", async () => {
  const whole = join(scratch, "whole");
  const cut = join(scratch, "cut");
  const steps = ["--steps", "60", "--log-every", "1"];
  const full = train(...steps, "--out", whole);
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stdout, new RegExp(`tfjs backend: ${backend}`));
  assert.match(full.stdout, /trained small to step 60\/60 on tfjs/);

  const child = spawn(process.execPath, [motcBin, "train", spec, "--backend", backend, "--data", data, ...steps, "--out", cut], { cwd: repoRoot });
  let stderr = "";
  let sent = false;
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!sent && /step 5\/60/.test(stderr)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 130, stderr);
  const match = /motc: error MOT503: interrupted by SIGINT at step (\d+): checkpoint saved to (.*) \(continue with --resume\)\n$/.exec(stderr);
  assert.ok(match, stderr);
  const stoppedAt = Number(match[1]);
  assert.ok(stoppedAt >= 5 && stoppedAt < 60, `stopped at ${stoppedAt}`);
  assert.equal(readManifest(checkpointDirectory(cut)).step, stoppedAt);

  const resumed = train(...steps, "--out", cut, "--resume");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`resuming small from step ${stoppedAt}`));
  assert.deepEqual(curve(cut), curve(whole));
  assert.ok(readFileSync(join(checkpointDirectory(cut), "weights.bin")).equals(readFileSync(join(checkpointDirectory(whole), "weights.bin"))));
});

test("a missing or empty data file ends with one clear line", () => {
  assertOneLineFailure(train("--data", join(scratch, "absent.txt"), "--out", join(scratch, "o1")), 1, /^motc: error MOT201: cannot read .*absent\.txt: no such file or directory$/);
  const empty = join(scratch, "empty.txt");
  writeFileSync(empty, "");
  assertOneLineFailure(train("--data", empty, "--out", join(scratch, "o2")), 1, /^motc: error MOT602: .*empty\.txt: the input is empty$/);
});

test("data that is an empty directory, too short to hold out, or a tokenizer the model's vocabulary cannot take", () => {
  const none = join(scratch, "no-files");
  mkdirSync(none);
  assertOneLineFailure(train("--data", none, "--out", join(scratch, "o5")), 1, new RegExp(`^motc: error MOT601: ${none}: holds no input files$`));
  // 300 bytes and an end of text: 286 to train on, the last 15 held out, less than one window of 17.
  const short = join(scratch, "300.txt");
  writeFileSync(short, "abcdefghij".repeat(30));
  assertOneLineFailure(train("--data", short, "--out", join(scratch, "o6")), 1,
    /^motc: error MOT627: the val split of .*\/motc\/datasets\/bytes-[0-9a-f]{16} has 15 tokens, fewer than one window of 17; prepare it with a larger --val$/);
  assertOneLineFailure(train("--tokenizer", "gpt2", "--out", join(scratch, "o7")), 1, /^motc: error MOT530: the gpt2 tokenizer needs vocab >= 50257, but the model has 256$/);
  // A model of vocab 100: text is refused before it is prepared; a prepared dataset of bytes, naming both.
  const narrow = join(scratch, "narrow.mot");
  writeFileSync(narrow, readFileSync(spec, "utf8").replace("vocab   = 256", "vocab   = 100"));
  const fresh = join(scratch, "never-prepared.txt");
  writeFileSync(fresh, "text no run has prepared yet ".repeat(50));
  const bytes = runMotc(["train", narrow, "--backend", backend, "--data", fresh, "--out", join(scratch, "o8")]);
  assertOneLineFailure(bytes, 1, /^motc: error MOT530: the bytes tokenizer needs vocab >= 256, but the model has 100$/);
  const prepared = join(scratch, "prepared-bytes");
  assert.equal(runMotc(["data", "prepare", fresh, "--out", prepared]).code, 0);
  const misfit = runMotc(["train", narrow, "--backend", backend, "--data", prepared, "--out", join(scratch, "o9")]);
  assertOneLineFailure(misfit, 1, new RegExp(`^motc: error MOT624: dataset ${prepared} holds bytes tokens \\(vocab 256\\), but model 'small' has vocab 100$`));
  assert.equal(existsSync(join(scratch, "o9")), false, "refused before training starts");
});

test("a backend asked for by name that cannot start ends with one clear line", () => {
  // tfjs-node is an optional peer this checkout does not install.
  const result = runMotc(["train", spec, "--backend", "tensorflow", "--data", data, "--steps", "1", "--out", join(scratch, "o4")]);
  assertOneLineFailure(result, 1, /^motc: error MOT540: tfjs backend tensorflow: @tensorflow\/tfjs-node-gpu is not installed, .*\(--backend auto takes the first that starts\)$/);
});

test("a corpus shorter than one batch is refused with the numbers", () => {
  const short = join(scratch, "short.txt");
  writeFileSync(short, "x".repeat(20)); // 21 tokens: 20 to train on, 1 held out
  assertOneLineFailure(train("--data", short, "--out", join(scratch, "o3")), 1,
    /^motc: error MOT626: the train split of .*\/bytes-[0-9a-f]{16} has 20 tokens, but a batch of 8 windows of 17 needs at least 25; give more data or a smaller --batch$/);
});

test("--resume refuses a checkpoint of another model or another definition of the same model", () => {
  const out = join(scratch, "other");
  const first = train("--steps", "2", "--out", out);
  assert.equal(first.code, 0, first.stderr);
  const tiny = runMotc(["train", join(repoRoot, "specs/tiny.mot"), "--backend", backend, "--data", data, "--out", out, "--resume"]);
  assertOneLineFailure(tiny, 1, /^motc: error MOT511: .*other: the checkpoint is of model 'small', not 'tiny'; train into another --out$/);
  const changed = join(scratch, "changed.mot");
  writeFileSync(changed, readFileSync(spec, "utf8").replace("d_model = 16", "d_model = 32"));
  const result = runMotc(["train", changed, "--backend", backend, "--data", data, "--out", out, "--resume"]);
  assertOneLineFailure(result, 1, /^motc: error MOT513: .*other: the checkpoint was trained from a different definition of model 'small'/);
});

test("a diverging run (NaN or infinite loss) stops with one line and keeps the last good checkpoint", () => {
  const out = join(scratch, "nan");
  const result = train("--lr", "1e30", "--checkpoint-every", "1", "--out", out);
  assertOneLineFailure(result, 1, /^motc: error MOT502: the loss became (NaN|-?Infinity) at step (\d+) .*training stopped, the last good checkpoint \(step \d+\) is kept in /);
  const [, failed, kept] = /at step (\d+) .*\(step (\d+)\)/.exec(result.stderr)!;
  assert.equal(Number(kept), Number(failed) - 1);
  assert.equal(readManifest(checkpointDirectory(out)).step, Number(kept));
});
