// `temp = anneal(final, start)` in the training loop: τ ends at `final`
// exactly, nothing moves before `start`, and a run stopped inside the anneal
// resumes to the same bytes.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Recipe } from "../../src/ir/model.js";
import { Random } from "../../src/ir/random.js";
import { checkpointDirectory, readCheckpoint } from "../../src/train/checkpoint.js";
import { train, type TrainRun } from "../../src/train/loop.js";
import { annealShare, annealStart } from "../../src/train/temperature.js";
import { smallModel, smallRecipe } from "./fixture.js";

const backend = (process.env.MOTC_TEST_BACKEND ?? "wasm") as TrainRun["backend"];
const scratch = mkdtempSync(join(tmpdir(), "motc-temp-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
// Text --data is prepared into the dataset cache: this test's own, not the user's.
process.env.XDG_CACHE_HOME = join(scratch, "cache");
const dataPath = join(scratch, "words.txt");
const random = new Random(2, "words");
const words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "runs"];
writeFileSync(dataPath, Array.from({ length: 3000 }, () => words[random.int(words.length)]).join(" "));

async function run(out: string, recipe: Recipe, extra: Partial<TrainRun> = {}): Promise<string[]> {
  const lines: string[] = [];
  await train({
    model: smallModel(recipe), recipe, sources: [dataPath], tokenizer: "bytes", out, backend, resume: false, logEvery: 1000,
    print: (line) => lines.push(line), progress: { isTTY: false, write: (text) => (lines.push(text), true) }, ...extra,
  });
  return lines;
}

const logTemp = (out: string, recipe: Recipe) => readCheckpoint(out, smallModel(recipe)).weights.get("layers.1.mot.log_temp")![0];

test("the pull is the log-linear interpolation of τ when nothing else moves log_temp", () => {
  const recipe = smallRecipe({ steps: 50, temp: { kind: "anneal", final: 0.05, start: 0.8 } });
  assert.equal(annealStart(recipe.temp!, 50), 40);
  assert.equal(annealStart({ kind: "anneal", final: 0.05, start: 45 }, 50), 45);
  assert.equal(annealShare(recipe, 40), undefined);
  assert.equal(annealShare(recipe, 41), 1 / 10);
  assert.equal(annealShare(recipe, 50), 1);
  assert.equal(annealShare(smallRecipe({ steps: 50 }), 50), undefined);
  let ell = Math.log(1.7);
  for (let u = 41; u <= 50; u++) {
    const a = annealShare(recipe, u)!;
    ell = (1 - a) * ell + a * Math.log(0.05);
    const expected = Math.log(1.7) + (Math.log(0.05) - Math.log(1.7)) * ((u - 40) / 10);
    assert.ok(Math.abs(ell - expected) < 1e-12, `after update ${u}: ${ell} vs ${expected}`);
  }
});

test("temp = anneal ends at τ = final, leaves steps before start alone, and resumes exactly inside the anneal", async () => {
  const anneal: Recipe = smallRecipe({ steps: 12, evalEvery: 4, checkpointEvery: 5, temp: { kind: "anneal", final: 0.05, start: 0.5 } });
  const plain: Recipe = { ...anneal, temp: undefined };
  const whole = join(scratch, "whole");
  await run(whole, anneal);
  const ell = logTemp(whole, anneal);
  assert.equal(ell, Math.fround(Math.log(0.05)));
  assert.ok(Math.abs(Math.exp(ell) - 0.05) < 1e-8, `τ = ${Math.exp(ell)}`);

  // Up to the start (update 6) the anneal changes nothing: the same bytes as a run without it.
  const split = join(scratch, "split");
  const withoutAnneal = join(scratch, "plain");
  await run(split, anneal, { stopAt: 6 });
  await run(withoutAnneal, plain, { stopAt: 6 });
  const bytes = (dir: string) => readFileSync(join(checkpointDirectory(dir), "weights.bin"));
  assert.ok(bytes(split).equals(bytes(withoutAnneal)), "the anneal moved weights before its start");
  const learned = logTemp(split, anneal);
  assert.notEqual(learned, 0, "log_temp was not learned at all before the anneal");

  // Stopped in the middle of the anneal and resumed: the uninterrupted run's bytes.
  await run(split, anneal, { resume: true, stopAt: 9 });
  const midway = logTemp(split, anneal);
  assert.ok(Math.abs(midway - learned) > 1e-3 && Math.abs(midway - Math.log(0.05)) > 1e-3, `log_temp ${midway} halfway`);
  await run(split, anneal, { resume: true });
  for (const file of ["weights.bin", "optimizer.bin"]) {
    assert.ok(readFileSync(join(checkpointDirectory(split), file)).equals(readFileSync(join(checkpointDirectory(whole), file))), `${file} differs after resume`);
  }
});
