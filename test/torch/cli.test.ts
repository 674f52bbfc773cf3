// `motc train --engine torch` as a user runs it: the progress and final line,
// loss.svg, a torch run compiled to ONNX with the same logits as model.py's,
// weights moving between the engines with --resume-from, Ctrl-C saving a
// checkpoint that --resume continues, and every way the launch can fail.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { readMetrics } from "../../src/train/metrics.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import type { TrainerState } from "../../src/train/resume.js";
import { cpuSession, runLogits } from "../onnx/ort.js";
import { missingChecker, python, requireChecker } from "../support/checkers.js";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";
import { maxAbsDifference, randomIds } from "../support/numbers.js";
import { textTokens, writeDataset, runForward } from "./support.js";

const spec = join(repoRoot, "test/fixtures/train/small.mot");
let dir = "";
let data = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "motc-torch-cli-"));
  const tokens = textTokens(24_000);
  data = writeDataset(join(dir, "data"), { train: tokens.slice(0, 20_000), val: tokens.slice(20_000) });
  process.env.MOTC_PYTHON = python;
  process.env.XDG_CACHE_HOME = join(dir, "cache"); // where --data text.txt is prepared
});
after(() => rmSync(dir, { recursive: true, force: true }));

function train(args: string[], env: Record<string, string> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  try {
    return runMotc(["train", spec, "--engine", "torch", "--data", data, ...args], { timeoutMs: 300_000 });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

test("train --engine torch: progress, final line, loss.svg; its run compiles to ONNX with model.py's logits", async (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const run = join(dir, "run");
  const result = train(["--out", run, "--steps", "6", "--log-every", "2"]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split("\n");
  assert.match(lines[0], /^data: .*data — 20000 train, 4000 val bytes tokens; unigram entropy \d\.\d{3} nats\/token$/);
  assert.match(lines[1], /^torch \S+ on cpu: 1 rank\(s\) × 1 micro-batch\(es\), fp32$/);
  assert.match(lines.at(-1)!, new RegExp(`^trained small to step 6/6 on torch \\S+ cpu \\(1 rank\\) in \\d+s: train loss \\d\\.\\d{4}, eval loss \\d\\.\\d{4} \\(unigram entropy \\d\\.\\d{3}\\); checkpoint in ${run}$`));
  assert.match(result.stderr, /^step 0: eval loss \d\.\d{4}\nstep 2\/6  loss \d\.\d{4} .*tok\/s  ETA/);
  assert.ok(readFileSync(join(run, "loss.svg"), "utf8").startsWith("<svg"), "no loss.svg");
  assert.deepEqual(readMetrics(join(run, "metrics.jsonl")).filter((r) => r.kind === "train").map((r) => r.step), [1, 2, 3, 4, 5, 6]);

  // The run directory goes to motc compile as it is (its latest checkpoint).
  const compiled = runMotc(["compile", spec, "--weights", run, "--out", join(dir, "onnx")]);
  assert.equal(compiled.code, 0, compiled.stderr);
  const ids = randomIds(256, 5, 16, 9); // 5 rows: the MoT group of 2 leaves one over
  const [torch] = runForward(join(dir, "forward"), [{ program: join(run, "small.torch"), weights: run, ids }]);
  const session = await cpuSession(join(dir, "onnx", "small.onnx"));
  const difference = maxAbsDifference(await runLogits(session, ids), torch.logits);
  await session.release();
  t.diagnostic(`max |ONNX − torch| = ${difference.toExponential(2)}`);
  assert.ok(difference <= 1e-4, `ONNX and torch logits differ by ${difference}`);
});

test("--resume-from takes a torch run into the tfjs engine, and a tfjs checkpoint into the torch engine; text data is prepared for either", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const text = join(dir, "text.txt");
  writeFileSync(text, new TextDecoder().decode(Uint8Array.from(textTokens(30_000))));
  const fromTorch = runMotc(["train", spec, "--data", text, "--steps", "2", "--resume-from", join(dir, "run"), "--out", join(dir, "tfjs-run")], { timeoutMs: 300_000 });
  assert.equal(fromTorch.code, 0, fromTorch.stderr);
  assert.match(fromTorch.stdout, new RegExp(`starting small from the weights in ${join(dir, "run")} \\(model 'small', step 6\\) with a new optimizer`));
  const fromTfjs = runMotc(["train", spec, "--engine", "torch", "--data", text, "--steps", "2", "--resume-from", join(dir, "tfjs-run"), "--out", join(dir, "torch-run")], { timeoutMs: 300_000 });
  assert.equal(fromTfjs.code, 0, fromTfjs.stderr);
  assert.match(fromTfjs.stdout, new RegExp(`starting small from the weights in ${join(dir, "tfjs-run")} \\(model 'small', step 2\\) with a new optimizer`));
  // The same cached dataset: both engines' checkpoints name it by its manifest's sha256.
  const model = checkSpec({ path: spec, text: readFileSync(spec, "utf8") }).models[0];
  const fingerprint = (run: string) => (readCheckpoint(run, model).manifest.extra!.trainer as TrainerState).data.fingerprint;
  assert.equal(fingerprint(join(dir, "torch-run")), fingerprint(join(dir, "tfjs-run")));
});

test("Ctrl-C stops every rank at the same step with a checkpoint, and --resume finishes the run", async (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const run = join(dir, "interrupted");
  const child = spawn(process.execPath, [motcBin, "train", spec, "--engine", "torch", "--nproc", "2", "--data", data, "--out", run, "--steps", "3000", "--log-every", "1"], {
    cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/step 3\/3000/.test(stderr)) resolve();
    });
    child.once("exit", () => resolve());
  });
  child.kill("SIGINT");
  assert.equal(await exit, 130, stderr);
  const line = stderr.trim().split("\n").at(-1)!;
  const match = /^motc: error MOT503: interrupted by SIGINT at step (\d+): checkpoint saved to (.*) \(continue with --resume\)$/.exec(line);
  assert.ok(match, line);
  const step = Number(match[1]);
  assert.equal(readFileSync(join(run, "latest"), "utf8"), `checkpoint-${String(step).padStart(6, "0")}\n`);
  const resumed = train(["--nproc", "2", "--out", run, "--steps", String(step + 2), "--resume"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`resuming small from step ${step} `));
  const steps = readMetrics(join(run, "metrics.jsonl")).filter((r) => r.kind === "train").map((r) => r.step);
  assert.deepEqual(steps, Array.from({ length: step + 2 }, (_, i) => i + 1));
});

test("the launch's failures: no Python, no PyTorch, a rank that dies, flags of the other engine, data that is not prepared", (t) => {
  if (missingChecker("python3-torch")) return void requireChecker(t, "python3-torch");
  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const noTorch = script("no-torch", `echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`);
  const rankDies = script("rank-dies", `if [ "$RANK" = 1 ]; then echo "rank one broke" >&2; exit 3; fi\nexec ${python} "$@"`);
  const cases: [string[], Record<string, string>, number, string | RegExp][] = [
    [["--out", join(dir, "f1")], { MOTC_PYTHON: join(dir, "nonexistent-python") }, 1,
      `MOT700: the PyTorch engine needs Python: '${join(dir, "nonexistent-python")}' cannot run (ENOENT); install Python 3 with PyTorch and numpy (pip install torch numpy, or apt install python3-torch), or set MOTC_PYTHON to a Python that has them`],
    [["--out", join(dir, "f2")], { MOTC_PYTHON: noTorch }, 1,
      `MOT701: '${noTorch}' cannot import PyTorch (ModuleNotFoundError: No module named 'torch'); install PyTorch and numpy for it (pip install torch numpy, or apt install python3-torch), or set MOTC_PYTHON to a Python that has them`],
    [["--out", join(dir, "f3"), "--nproc", "2"], { MOTC_PYTHON: rankDies }, 1, "MOT702: the PyTorch run failed: rank 1 of 2 exited with code 3 (rank one broke)"],
    [["--out", join(dir, "f4"), "--backend", "wasm"], {}, 2, "MOT704: --backend chooses a TensorFlow.js backend; with --engine torch choose --device"],
    [["--out", join(dir, "f5"), "--data", spec], {}, 1, `MOT628: ${data} is a prepared dataset: give it alone to --data`],
  ];
  for (const [args, env, code, message] of cases) {
    const result = train(args, env);
    assert.equal(result.code, code, result.stderr);
    assert.equal(result.stderr, `motc: error ${message}\n`);
    assert.ok(!existsSync(join(args[1], "latest")));
  }
  const tfjsOnly = runMotc(["train", spec, "--nproc", "2", "--dtype", "bf16", "--out", join(dir, "f6")]);
  assert.equal(tfjsOnly.code, 2);
  assert.equal(tfjsOnly.stderr, "motc: error MOT703: --nproc, --dtype applies to --engine torch only\n");
});
