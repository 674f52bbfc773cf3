// `motc transition` and `motc train --resume-from` as a user runs them: train the
// small MoT fixture, turn it into its token-choice twin, check the written spec,
// fine-tune from the twin's checkpoint (the loss falls from where the MoT model
// left it, not from a fresh start), and fail cleanly leaving nothing half-written.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { readMetrics, type EvalRecord } from "../../src/train/metrics.js";
import { loadModel } from "../../src/cli/spec.js";
import { repoRoot, runMotc } from "../support/cli.js";

const spec = join(repoRoot, "test/fixtures/train/small.mot");
const backend = process.env.MOTC_TEST_BACKEND ?? "wasm";
const scratch = mkdtempSync(join(tmpdir(), "motc-transition-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
// Text --data is prepared into the dataset cache: this test's own, not the user's.
process.env.XDG_CACHE_HOME = join(scratch, "cache");
const data = join(scratch, "data.txt");
writeFileSync(data, "It was the best of times, it was the worst of times, it was the age of wisdom. ".repeat(400));
const trained = join(scratch, "small.train");
const out = join(scratch, "twin");
const twinSpec = join(out, "small_tc.mot");
const twinCheckpoint = join(out, "small_tc.train");

function evals(dir: string): EvalRecord[] {
  return readMetrics(join(dir, "metrics.jsonl")).filter((r): r is EvalRecord => r.kind === "eval");
}

function assertOneLineFailure(result: { code: number; stderr: string }, pattern: RegExp) {
  assert.notEqual(result.code, 0, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assert.match(lines[lines.length - 1], pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
}

test("transition writes a canonical spec and a checkpoint of the twin; --resume-from fine-tunes it", () => {
  const training = runMotc(["train", spec, "--backend", backend, "--data", data, "--out", trained], { timeoutMs: 120_000 });
  assert.equal(training.code, 0, training.stderr);
  const mot = evals(trained);

  const result = runMotc(["transition", spec, "--weights", trained, "--out", out]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /1 mot layer → moe\(token_choice, topk 1\); router = controller \/ τ \(layers\.1 τ=/);
  assert.deepEqual(readdirSync(out).sort(), ["small_tc.mot", "small_tc.train"]);
  assert.equal(runMotc(["check", twinSpec]).code, 0);
  assert.equal(runMotc(["fmt", "--check", twinSpec]).code, 0);
  const twin = loadModel(twinSpec);
  assert.equal(twin.sublayers[1].kind, "moe");
  const { weights } = readCheckpoint(twinCheckpoint, twin); // every parameter, with its shape
  assert.deepEqual(weights.get("layers.1.moe.w1"), readCheckpoint(trained, loadModel(spec)).weights.get("layers.1.mot.w1"));

  const fineTune = join(scratch, "fine-tune");
  const tuned = runMotc(["train", twinSpec, "--backend", backend, "--data", data, "--resume-from", twinCheckpoint, "--steps", "4", "--out", fineTune], { timeoutMs: 120_000 });
  assert.equal(tuned.code, 0, tuned.stderr);
  assert.match(tuned.stdout, /starting small_tc from the weights in .*small_tc\.train \(model 'small_tc', step 0\)/);
  const curve = evals(fineTune);
  const start = curve[0].eval_loss;
  const end = curve[curve.length - 1].eval_loss;
  // A fresh start would be at ~ln 256 = 5.55; the twin starts near where the MoT model ended.
  assert.ok(start < mot[0].eval_loss - 0.5, `fine-tune starts at ${start}, the MoT model at ${mot[0].eval_loss} before training`);
  assert.ok(end < start, `loss ${start} → ${end} did not fall`);
  assert.equal(curve[curve.length - 1].step, 4);
});

test("bad inputs end with one line and leave nothing behind", () => {
  // An existing checkpoint directory is not overwritten.
  assertOneLineFailure(runMotc(["transition", spec, "--weights", trained, "--out", out]), /^motc: error MOT203: .*small_tc\.train already exists: remove it or choose another --out$/);
  // --out under a file: nothing half-written anywhere.
  const file = join(scratch, "a-file");
  writeFileSync(file, "x");
  assertOneLineFailure(runMotc(["transition", spec, "--weights", trained, "--out", join(file, "sub")]), /^motc: error MOT202: cannot write .*a-file\/sub\/small_tc\.train\/weights\.bin: .*a-file is a file, not a directory$/);
  assert.deepEqual(readdirSync(scratch).filter((name) => name.includes(".tmp")), []);
  // The spec's name taken by a directory: the last rename fails after the checkpoint's two; all three go,
  // and so does the checkpoint directory the write made.
  const blocked = join(scratch, "blocked");
  mkdirSync(join(blocked, "small_tc.mot"), { recursive: true });
  assertOneLineFailure(runMotc(["transition", spec, "--weights", trained, "--out", blocked]), /^motc: error MOT202: cannot write .*blocked\/small_tc\.mot: is a directory$/);
  assert.deepEqual(readdirSync(blocked), ["small_tc.mot"]);
  // More experts per token than there are.
  assertOneLineFailure(runMotc(["transition", spec, "--weights", trained, "--out", join(scratch, "k"), "--topk", "5"]), /^motc: error MOT551: --topk 5 exceeds the 4 experts of a mot layer of 'small'$/);
  assert.equal(existsSync(join(scratch, "k")), false);
  // A model with no mot layer has no twin; that is known before the checkpoint is read.
  assertOneLineFailure(runMotc(["transition", join(repoRoot, "specs/ff.mot"), "--weights", join(scratch, "none"), "--out", join(scratch, "ff")]),
    /^motc: error MOT550: model 'dense_ff' has no mot layer to turn into moe$/);
  assert.equal(existsSync(join(scratch, "ff")), false);
  // --resume-from checks the weights against the spec, and is not --resume.
  assertOneLineFailure(runMotc(["train", twinSpec, "--resume-from", trained, "--steps", "1", "--out", join(scratch, "x")]), /^motc: error MOT304: .*small\.train\/checkpoint-000012: checkpoint has no parameter 'layers\.1\.moe\.router' \(it was trained for model 'small'\)$/);
  assertOneLineFailure(runMotc(["train", twinSpec, "--resume-from", twinCheckpoint, "--resume", "--out", join(scratch, "y")]), /^motc: error MOT515: --resume continues the run in --out; --resume-from starts a new one from other weights: pass one of them$/);
  assertOneLineFailure(runMotc(["train", twinSpec, "--resume-from", twinCheckpoint, "--out", twinCheckpoint]), /^motc: error MOT516: --resume-from .*small_tc\.train is also the output directory: fine-tune into another --out$/);
});
