// `--data` as a prepared dataset: a dataset directory is opened as it is; text
// and JSON lines are prepared once into the cache (the same bytes `motc data
// prepare` writes), found again by content, and prepared anew when it changes.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../src/base/errors.js";
import { datasetCacheRoot, TRAINING_SPLIT, trainingDataset } from "../../src/data/cache.js";
import { checkVocabulary } from "../../src/data/dataset.js";
import { prepare, scratchDir } from "./support.js";

const scratch = scratchDir("cache");
const env = { XDG_CACHE_HOME: join(scratch, "cache") };
const text = join(scratch, "a.txt");
writeFileSync(text, "It was the best of times, it was the worst of times. ".repeat(20));

const rejects = (promise: Promise<unknown>, code: string, message: string) =>
  assert.rejects(promise, (error: Error) => error instanceof UserError && error.code === code && error.message === message);

test("the cache is $XDG_CACHE_HOME/motc/datasets, else ~/.cache/motc/datasets", () => {
  assert.equal(datasetCacheRoot({ XDG_CACHE_HOME: "/x" }), "/x/motc/datasets");
  assert.match(datasetCacheRoot({}), /\/\.cache\/motc\/datasets$/);
});

test("text is prepared once into the cache, as motc data prepare would; a change prepares it anew", async () => {
  const prepared: string[] = [];
  const options = { defaultTokenizer: "bytes" as const, env, onPrepare: (dir: string) => void prepared.push(dir) };
  const first = await trainingDataset([text], options);
  assert.equal(prepared.length, 1);
  assert.equal(first.dir, prepared[0]);
  assert.match(first.dir, new RegExp(`^${env.XDG_CACHE_HOME}/motc/datasets/bytes-[0-9a-f]{16}$`));
  const direct = await prepare([text], join(scratch, "direct"), { split: TRAINING_SPLIT });
  assert.equal(first.fingerprint, direct.fingerprint);
  assert.equal(readFileSync(join(first.dir, "manifest.json"), "utf8"), readFileSync(join(direct.dir, "manifest.json"), "utf8"));
  first.close();

  const again = await trainingDataset([text], options);
  assert.equal(prepared.length, 1, "found in the cache");
  assert.equal(again.fingerprint, first.fingerprint);
  again.close();
  const gpt2 = await trainingDataset([text], { ...options, tokenizer: "gpt2" });
  assert.equal(prepared.length, 2);
  assert.equal(gpt2.manifest.tokenizer, "gpt2");
  gpt2.close();

  writeFileSync(text, "Something else entirely. ".repeat(30));
  const changed = await trainingDataset([text], options);
  assert.equal(prepared.length, 3);
  assert.notEqual(changed.fingerprint, first.fingerprint);
  changed.close();
  assert.equal(readdirSync(join(env.XDG_CACHE_HOME, "motc", "datasets")).length, 3);
});

test("a prepared dataset is opened as it is; --tokenizer must match it; it comes alone", async () => {
  const dir = join(scratch, "ready");
  await prepare([text], dir, { tokenizer: "gpt2" });
  const options = { defaultTokenizer: "bytes" as const, env, onPrepare: () => assert.fail("nothing to prepare") };
  const opened = await trainingDataset([dir], options);
  assert.equal(opened.dir, dir);
  assert.equal(opened.manifest.tokenizer, "gpt2");
  await rejects(trainingDataset([dir], { ...options, tokenizer: "bytes" }), "MOT625", `dataset ${dir} holds gpt2 tokens, but --tokenizer bytes was given`);
  await rejects(trainingDataset([text, dir], options), "MOT628", `${dir} is a prepared dataset: give it alone to --data`);
  await rejects(trainingDataset([join(scratch, "gone.txt")], options), "MOT201", `cannot read ${join(scratch, "gone.txt")}: no such file or directory`);
  // gpt2 ids do not fit a byte-level model (vocab 256); they do fit a larger one.
  assert.throws(() => checkVocabulary(opened, "tiny", 256),
    (error: Error) => error instanceof UserError && error.code === "MOT624" && error.message === `dataset ${dir} holds gpt2 tokens (vocab 50257), but model 'tiny' has vocab 256`);
  checkVocabulary(opened, "big", 50304);
  opened.close();
});
