// The training loop in-process on a very small model (fixture.ts): exact
// resume, learning below the unigram entropy, refusals and the NaN stop.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ModelIR, Recipe } from "../../src/ir/model.js";
import { Random } from "../../src/ir/random.js";
import { checkpointDirectory, readManifest } from "../../src/train/checkpoint.js";
import { train, type TrainRun } from "../../src/train/loop.js";
import { readMetrics, type MetricsRecord } from "../../src/train/metrics.js";
import { smallModel, smallRecipe } from "./fixture.js";

const backend = (process.env.MOTC_TEST_BACKEND ?? "wasm") as TrainRun["backend"];
const scratch = mkdtempSync(join(tmpdir(), "motc-train-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
// Text --data is prepared into the dataset cache: this test's own, not the user's.
process.env.XDG_CACHE_HOME = join(scratch, "cache");

/** Seeded text of 20 words: letters within a word are predictable, words are not. */
export function wordsText(count: number, seed = 1): string {
  const words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "runs",
    "away", "from", "big", "red", "cat", "while", "birds", "sing", "in", "trees"];
  const random = new Random(seed, "words");
  return Array.from({ length: count }, () => words[random.int(words.length)]).join(" ");
}
const dataPath = join(scratch, "words.txt");
writeFileSync(dataPath, wordsText(6000));

function run(out: string, recipe: Recipe, extra: Partial<TrainRun> = {}, model: ModelIR = smallModel(recipe)) {
  const lines: string[] = [];
  const promise = train({
    model, recipe, sources: [dataPath], tokenizer: "bytes", out, backend, resume: false, logEvery: 1000,
    print: (line) => lines.push(line), progress: { isTTY: false, write: (text) => (lines.push(text), true) }, ...extra,
  });
  return { promise, lines };
}

/** Metrics without the wall-clock fields (tokens_per_s, elapsed_s). */
function curve(out: string): MetricsRecord[] {
  return readMetrics(join(out, "metrics.jsonl")).map((r) => {
    if (r.kind === "eval") return r;
    const { tokens_per_s: _rate, elapsed_s: _elapsed, ...rest } = r;
    return rest as MetricsRecord;
  });
}

test("stopping at step 6 and resuming to 12 reproduces the uninterrupted run exactly", async () => {
  const recipe = smallRecipe({ steps: 12, evalEvery: 4, checkpointEvery: 5 });
  const whole = join(scratch, "whole");
  const split = join(scratch, "split");
  await run(whole, recipe).promise;
  const first = await run(split, recipe, { stopAt: 6 }).promise;
  assert.equal(first.step, 6);
  assert.equal(readManifest(checkpointDirectory(split)).step, 6);
  await run(split, recipe, { resume: true }).promise;
  const expected = curve(whole);
  assert.equal(expected.filter((r) => r.kind === "train").length, 12);
  assert.deepEqual(curve(split), expected);
  for (const file of ["weights.bin", "optimizer.bin", "checkpoint.json"]) {
    assert.ok(readFileSync(join(checkpointDirectory(split), file)).equals(readFileSync(join(checkpointDirectory(whole), file))), `${file} differs`);
  }
  assert.match(readFileSync(join(whole, "loss.svg"), "utf8"), /<svg[^]*train loss[^]*eval loss[^]*<\/svg>\n$/);
});

test("an aborted signal stops the run after its step with a checkpoint; resuming reproduces the whole run", async () => {
  const recipe = smallRecipe({ steps: 8, evalEvery: 4, checkpointEvery: 8 });
  const whole = join(scratch, "whole-8");
  const cut = join(scratch, "aborted");
  await run(whole, recipe).promise;
  const controller = new AbortController();
  const lines: string[] = [];
  const progress = { isTTY: false, write: (text: string) => {
    lines.push(text);
    if (text.startsWith("step 3/8 ")) controller.abort("SIGTERM");
    return true;
  } };
  const outcome = await run(cut, recipe, { signal: controller.signal, logEvery: 1, progress }).promise;
  assert.equal(outcome.interrupted, true);
  assert.equal(outcome.step, 3);
  assert.equal(readManifest(checkpointDirectory(cut)).step, 3);
  assert.ok(!lines.some((line) => line.startsWith("step 4/8")), lines.join(""));
  const resumed = run(cut, recipe, { resume: true });
  const finished = await resumed.promise;
  assert.equal(finished.interrupted, false);
  assert.ok(resumed.lines.some((line) => line.startsWith("trained small to step 8/8 ")), resumed.lines.join("\n"));
  assert.deepEqual(curve(cut), curve(whole));
  assert.ok(readFileSync(join(checkpointDirectory(cut), "weights.bin")).equals(readFileSync(join(checkpointDirectory(whole), "weights.bin"))));
});

test("the small model's eval loss falls well below the unigram entropy of its data", async () => {
  const recipe = smallRecipe({ steps: 150, lr: 3e-2, evalEvery: 50, checkpointEvery: 150 });
  const out = join(scratch, "learn");
  const outcome = await run(out, recipe).promise;
  // The unigram entropy, computed here from the bytes of the data file.
  const bytes = readFileSync(dataPath);
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  let entropy = 0;
  for (const c of counts.values()) entropy -= (c / bytes.length) * Math.log(c / bytes.length);
  const evalLoss = outcome.evalLoss!;
  console.log(`small model, ${recipe.steps} steps on ${backend}: eval loss ${evalLoss.toFixed(3)} vs unigram entropy ${entropy.toFixed(3)} nats`);
  assert.ok(Math.abs(outcome.unigramEntropy - entropy) < 0.01);
  assert.ok(evalLoss < 0.8 * entropy, `eval loss ${evalLoss} is not well below ${entropy}`);
  const evals = readMetrics(join(out, "metrics.jsonl")).filter((r) => r.kind === "eval").map((r) => r.step);
  assert.deepEqual(evals, [0, 50, 100, 150]);
});

test("resuming refuses a checkpoint of another model, of a changed spec, or none at all", async () => {
  const recipe = smallRecipe({ steps: 2, evalEvery: 2, checkpointEvery: 2 });
  const out = join(scratch, "refuse");
  await run(out, recipe).promise;
  await assert.rejects(run(out, recipe).promise, { code: "MOT500", message: `${out} already holds a checkpoint: pass --resume to continue it, or remove it / choose another --out` });
  const renamed = { ...smallModel(recipe), name: "other" };
  await assert.rejects(run(out, recipe, { resume: true }, renamed).promise, { code: "MOT511", message: `${out}: the checkpoint is of model 'small', not 'other'; train into another --out` });
  const wider = { ...smallModel(recipe), dFF: 128 };
  await assert.rejects(run(out, recipe, { resume: true }, wider).promise, { code: "MOT513", message: /trained from a different definition of model 'small'/ });
  await assert.rejects(run(out, { ...recipe, batch: 4 }, { resume: true }).promise, { code: "MOT514", message: `${out}: cannot resume: the checkpoint was trained with batch 8, this run has 4` });
  const nothing = join(scratch, "nothing");
  await assert.rejects(run(nothing, recipe, { resume: true }).promise, { code: "MOT510", message: `${nothing}: no checkpoint to resume (pass no --resume to start afresh)` });
  // Another backend may continue, with a note; more steps than the checkpoint's recipe too.
  const other = backend === "cpu" ? "wasm" : "cpu";
  const longer = { ...recipe, steps: 3 };
  const resumed = run(out, longer, { resume: true, backend: other });
  assert.equal((await resumed.promise).step, 3);
  assert.ok(resumed.lines.includes(`note: the checkpoint was trained on tfjs ${backend}; continuing on ${other} (the curve can differ in the last bits)`), resumed.lines.join("\n"));
  assert.ok(resumed.lines.includes("note: the checkpoint was trained for 2 steps; continuing to 3 (the schedule follows the new length, so the curve from here differs from the original run's)"));
});

test("a loss that becomes NaN or infinite stops training and keeps the last good checkpoint", async () => {
  const recipe = smallRecipe({ steps: 10, lr: 1e30, warmup: 0, schedule: { kind: "constant" }, clip: 0, evalEvery: 10, checkpointEvery: 1 });
  const out = join(scratch, "nan");
  await assert.rejects(run(out, recipe).promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, "MOT502");
    assert.match(error.message, /^the loss became (NaN|Infinity|-Infinity) at step (\d+) \(gradient norm .*\); training stopped, the last good checkpoint \(step (\d+)\) is kept in /);
    const [, failed, kept] = /at step (\d+).*\(step (\d+)\)/.exec(error.message)!;
    assert.equal(Number(kept), Number(failed) - 1);
    assert.equal(readManifest(checkpointDirectory(out)).step, Number(kept));
    return true;
  });
});
