// kill -9 at every window of a checkpoint save (issue 11, item 1): `motc train`
// run as a child with MOTC_TEST_FAULT (src/base/faults.ts) at the run writer's
// points, which SIGKILL the process just before its Nth rename (rename:N below)
// or halfway through its Nth file (write:N). After
// each kill the run directory's `latest` names a complete checkpoint (or there is
// none yet), readers use exactly it, and --resume (or a fresh start) reproduces
// the uninterrupted run's curve and weights bit for bit.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadModel } from "../../src/cli/spec.js";
import { checkpointDirectory, readCheckpoint } from "../../src/train/checkpoint.js";
import { readMetrics, type MetricsRecord } from "../../src/train/metrics.js";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";

const spec = join(repoRoot, "test/fixtures/train/small.mot");
const model = loadModel(spec);
const backend = process.env.MOTC_TEST_BACKEND ?? "wasm";

/** A window as the tables below name it ("rename:4") → MOTC_TEST_FAULT's spelling ("run-rename#4"). */
const fault = (kill: string) => `run-${kill.replace(":", "#")}`;
const scratch = mkdtempSync(join(tmpdir(), "motc-kill-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const data = join(scratch, "data.txt");
writeFileSync(data, "It was the best of times, it was the worst of times, it was the age of wisdom. ".repeat(200));
// Saves at 10, 20 and 30: the renames are 1 (step directory) and 2 (latest) for step 10, 3 and 4 for step 20;
// the files optimizer.bin, weights.bin, checkpoint.json, latest.tmp are writes 1–4 for step 10, 5–8 for step 20.
const args = (out: string) => ["train", spec, "--backend", backend, "--data", data, "--steps", "30", "--checkpoint-every", "10", "--out", out];

/** `motc train` as a child; resolves with its exit code, or the signal that ended it. */
function train(out: string, extra: string[], env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [motcBin, ...args(out), ...extra], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1", ...env } });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
}

function curve(run: string): MetricsRecord[] {
  return readMetrics(join(run, "metrics.jsonl")).map((r) => (r.kind === "train" ? { ...r, tokens_per_s: 0, elapsed_s: 0 } : r));
}

const weightsOf = (run: string) => readFileSync(join(checkpointDirectory(run), "weights.bin"));

const windows: Array<{ kill: string; committed?: number }> = [
  { kill: "rename:1" }, // step 10 written, its directory not yet renamed
  { kill: "rename:2" }, // checkpoint-000010 complete, latest not yet written
  { kill: "rename:3", committed: 10 }, // step 20's temporary complete
  { kill: "rename:4", committed: 10 }, // checkpoint-000020 complete but not committed
  { kill: "write:6", committed: 10 }, // halfway through step 20's weights.bin
  { kill: "write:8", committed: 10 }, // halfway through the new latest
];

test("a kill at any window of a save leaves latest naming a complete checkpoint, and resuming reproduces the run", async () => {
  const whole = join(scratch, "whole");
  const full = await train(whole, []);
  assert.equal(full.code, 0, full.stderr);
  const expected = curve(whole);
  assert.equal(expected.filter((r) => r.kind === "train").length, 30);

  await Promise.all(windows.map(async ({ kill, committed }) => {
    const run = join(scratch, kill.replace(":", "-"));
    const killed = await train(run, [], { MOTC_TEST_FAULT: fault(kill) });
    assert.equal(killed.signal, "SIGKILL", `${kill}: ${killed.stderr}`);
    if (committed === undefined) {
      assert.equal(existsSync(join(run, "latest")), false, kill);
      assert.throws(() => readCheckpoint(run, model), { code: "MOT309" });
    } else {
      // What compile --weights and transition read: the committed step, whole, its hash intact.
      const read = readCheckpoint(run, model, { verify: true });
      assert.equal(read.dir, join(run, `checkpoint-0000${committed}`), kill);
      assert.equal(read.manifest.step, committed, kill);
    }
    // The killed run's lock and temporaries are taken over and cleaned up by the next run.
    const again = await train(run, committed === undefined ? [] : ["--resume"]);
    assert.equal(again.code, 0, `${kill}: ${again.stderr}`);
    assert.match(again.stderr, /^note: .*\/lock was left by process \d+, which is no longer running; taking the run over$/m);
    assert.deepEqual(curve(run), expected, kill);
    assert.ok(weightsOf(run).equals(weightsOf(whole)), `${kill}: the weights differ from the uninterrupted run's`);
    assert.deepEqual(readdirSync(run).sort(), ["checkpoint-000020", "checkpoint-000030", "latest", "loss.svg", "metrics.jsonl"], kill);
  }));
});

test("compile --weights and transition on a run killed between a step directory and its commit use the committed checkpoint", async () => {
  const run = join(scratch, "for-readers");
  const killed = await train(run, [], { MOTC_TEST_FAULT: fault("rename:4") });
  assert.equal(killed.signal, "SIGKILL", killed.stderr);
  assert.ok(existsSync(join(run, "checkpoint-000020")), "the uncommitted step directory is there");
  const compiled = runMotc(["compile", spec, "--weights", run, "--out", join(scratch, "onnx")]);
  assert.equal(compiled.code, 0, compiled.stderr);
  const transitioned = runMotc(["transition", spec, "--weights", run, "--out", join(scratch, "twin")]);
  assert.equal(transitioned.code, 0, transitioned.stderr);
  assert.match(transitioned.stdout, /^wrote /);
  assert.match(readFileSync(join(scratch, "twin", "small_tc.mot"), "utf8"), new RegExp(`from ${run} \\(step 10\\)`));
});

test("transition killed between its checkpoint and its spec: the rerun replaces the lone checkpoint; killed before, it cleans up", async () => {
  const trained = join(scratch, "trained");
  assert.equal((await train(trained, ["--steps", "10"])).code, 0);
  const transition = (out: string, env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [motcBin, "transition", spec, "--weights", trained, "--out", out], { cwd: repoRoot, env: { ...process.env, ...env } });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.resume();
      child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
    });
  // Beside temporaries (*.tmp-PID): nothing, or the lone checkpoint.
  for (const [kill, left] of [["rename:1", []], ["rename:2", ["small_tc.train"]], ["write:2", []]] as const) {
    const out = join(scratch, `twin-${kill.replace(":", "-")}`);
    const killed = await transition(out, { MOTC_TEST_FAULT: fault(kill) });
    assert.equal(killed.signal, "SIGKILL", killed.stderr);
    const entries = readdirSync(out);
    assert.deepEqual(entries.filter((name) => !/\.tmp-\d+$/.test(name)), left, `${kill}: ${entries}`);
    assert.ok(entries.some((name) => /\.tmp-\d+$/.test(name)), `${kill}: ${entries}`);
    const rerun = await transition(out);
    assert.equal(rerun.code, 0, `${kill}: ${rerun.stderr}`);
    assert.equal(rerun.stderr, kill === "rename:2" ? `note: ${join(out, "small_tc.train")} is left from a transition interrupted before it wrote ${join(out, "small_tc.mot")}: replacing it\n` : "");
    assert.deepEqual(readdirSync(out).sort(), ["small_tc.mot", "small_tc.train"], kill);
  }
});
