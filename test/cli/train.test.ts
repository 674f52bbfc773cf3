// motc train's flags over the spec's recipe, and the signals that stop a run:
// SIGINT, SIGTERM and SIGHUP each save a checkpoint and exit 130, 143 and 129,
// and --resume continues from the saved step; a second signal gives up at once.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { UserError } from "../../src/base/errors.js";
import { effectiveRecipe } from "../../src/cli/train.js";
import { checkpointDirectory, readManifest } from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/train/metrics.js";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";
import { smallModel, smallRecipe } from "../train/fixture.js";

test("flags override the recipe key by key; the rest is the spec's", () => {
  const recipe = smallRecipe();
  const model = smallModel(recipe);
  assert.deepEqual(effectiveRecipe(model, {}), recipe);
  const overridden = effectiveRecipe(model, { steps: 100, batch: 4, lr: 0.5, seed: 7, evalEvery: 3, checkpointEvery: 9 });
  assert.deepEqual(overridden, { ...recipe, steps: 100, batch: 4, lr: 0.5, seed: 7, evalEvery: 3, checkpointEvery: 9 });
});

test("a model without a recipe needs --steps, --batch and --lr, and gets LANGUAGE.md's defaults", () => {
  const model = { ...smallModel(), recipe: undefined };
  assert.throws(() => effectiveRecipe(model, { steps: 10 }), (error: Error) =>
    error instanceof UserError && error.code === "MOT501" &&
    error.message === "model 'small' has no train recipe: add 'train small { ... }' to the spec, or pass --steps, --batch and --lr");
  assert.deepEqual(effectiveRecipe(model, { steps: 200, batch: 4, lr: 1e-3 }), {
    steps: 200, batch: 4, context: 16, lr: 1e-3, warmup: 2, schedule: { kind: "cosine", final: 0.1 },
    optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, clip: 1, seed: 0, evalEvery: 10, checkpointEvery: 10,
  });
});

const scratch = mkdtempSync(join(tmpdir(), "motc-cli-train-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
// Text --data is prepared into the dataset cache: this test's own, not the user's.
process.env.XDG_CACHE_HOME = join(scratch, "cache");
const data = join(scratch, "data.txt");
writeFileSync(data, "It was the best of times, it was the worst of times, it was the age of wisdom. ".repeat(400));
const backend = process.env.MOTC_TEST_BACKEND ?? "wasm";
const tinyArgs = (out: string) => ["train", join(repoRoot, "specs/tiny.mot"), "--backend", backend, "--data", data, "--steps", "12", "--log-every", "1", "--out", out];

/** `motc train specs/tiny.mot` as a child, sent `signal` once its first progress line is out. */
async function interrupted(out: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [motcBin, ...tinyArgs(out)], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } });
  let stderr = "";
  let sent = false;
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!sent && /^step \d+\/12 /m.test(stderr)) {
      sent = true;
      child.kill(signal);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (status) => resolve(status)));
  return { code, stderr };
}

for (const [signal, exitCode] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  test(`${signal} saves a checkpoint and exits ${exitCode}; --resume continues from the saved step`, async () => {
    const out = join(scratch, signal);
    const { code, stderr } = await interrupted(out, signal);
    assert.equal(code, exitCode, stderr);
    assert.match(stderr, new RegExp(`\nnote: ${signal} received: stopping after this step with a checkpoint \\(send it again to quit at once\\)\n`));
    const match = new RegExp(`\nmotc: error MOT503: interrupted by ${signal} at step (\\d+): checkpoint saved to (.*) \\(continue with --resume\\)\n$`).exec(stderr);
    assert.ok(match, stderr);
    const saved = Number(match[1]);
    assert.equal(match[2], out);
    assert.ok(saved >= 1 && saved < 12, `stopped at ${saved}`);
    assert.equal(readManifest(checkpointDirectory(out)).step, saved);

    const resumed = runMotc([...tinyArgs(out), "--resume"], { timeoutMs: 120_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`^resuming tiny from step ${saved} \\(`, "m"));
    assert.match(resumed.stdout, /^trained tiny to step 12\/12 /m);
    assert.match(resumed.stderr, new RegExp(`^step ${saved + 1}/12 `, "m"));
    assert.doesNotMatch(resumed.stderr, new RegExp(`^step ${saved}/12 `, "m"));
    const steps = readMetrics(join(out, "metrics.jsonl")).filter((r) => r.kind === "train").map((r) => r.step);
    assert.deepEqual(steps, Array.from({ length: 12 }, (_, i) => i + 1));
  });
}

test("a second signal gives up at once, with its own code", async () => {
  // A run stops within a step of the first signal, too soon to send a second one
  // reliably; this child installs the same handlers and then only waits.
  const script = join(scratch, "wait.mjs");
  writeFileSync(script, [
    `import { stopOnSignals } from ${JSON.stringify(new URL("../../src/cli/train.js", import.meta.url).href)};`,
    `const stop = stopOnSignals();`,
    `stop.signal.addEventListener("abort", () => process.stderr.write("aborted: " + stop.signal.reason + "\\n"));`,
    `setInterval(() => {}, 1000);`,
    `process.stderr.write("ready\\n");`,
  ].join("\n"));
  for (const [first, second, exitCode] of [["SIGINT", "SIGINT", 130], ["SIGTERM", "SIGTERM", 143], ["SIGHUP", "SIGINT", 130]] as const) {
    const child = spawn(process.execPath, [script]);
    let stderr = "";
    const steps: Array<[RegExp, NodeJS.Signals]> = [[/^ready$/m, first], [/^note: \w+ received: /m, second]];
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (steps.length > 0 && steps[0][0].test(stderr)) child.kill(steps.shift()![1]);
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (status) => resolve(status)));
    assert.equal(code, exitCode, stderr);
    assert.equal(stderr, `ready\naborted: ${first}\nnote: ${first} received: stopping after this step with a checkpoint (send it again to quit at once)\n`);
  }
});

test("one run per directory: a second motc train into a running run's --out is refused with the holder's pid", async () => {
  const out = join(scratch, "locked");
  const child = spawn(process.execPath, [motcBin, ...tinyArgs(out).map((arg) => (arg === "12" ? "100000" : arg))], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } });
  let stderr = "";
  const started = new Promise<void>((resolve) => child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (/^step \d+\/100000 /m.test(stderr)) resolve();
  }));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (status) => resolve(status)));
  await started;
  for (const extra of [[], ["--resume"]]) {
    const second = runMotc([...tinyArgs(out), ...extra]);
    assert.equal(second.code, 1, second.stderr);
    assert.equal(second.stderr, `motc: error MOT504: ${out} is in use by another motc train (pid ${child.pid}, in ${join(out, "lock")}); wait for it to finish or train into another --out (if no such process is training, remove ${join(out, "lock")})\n`);
  }
  child.kill("SIGTERM");
  assert.equal(await exited, 143, stderr);
  assert.equal(existsSync(join(out, "lock")), false, "the lock goes with the run");
});
