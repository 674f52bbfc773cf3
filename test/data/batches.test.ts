// The per-step sampler and evaluation windows of CONTRACTS.md section 2 over
// prepared datasets: pinned starts (from test/reference/contract_random.py),
// windows that read across shard boundaries, the same batches however the split
// is sharded, and the refusals of too little data.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BatchReader, batchStarts, evaluationBatches, checkTrainSplit, readWindows, trainingBatch } from "../../src/data/batches.js";
import { MemoryTokens, openDataset, unigramEntropy } from "../../src/data/dataset.js";
import { UserError } from "../../src/base/errors.js";
import { prepare, scratchDir, splitTokens } from "./support.js";

const scratch = scratchDir("batches");
const text = join(scratch, "text.txt");
writeFileSync(text, "Ab".repeat(600) + " the end.");

test("batch starts are Random(seed, 'data.batch.' + step).index(N − C), pinned", () => {
  assert.deepEqual(batchStarts(70, 16, 4, 7, 1), [44, 0, 46, 20]);
  assert.deepEqual(batchStarts(70, 16, 4, 7, 2), [49, 45, 28, 52]);
  assert.deepEqual(batchStarts(70, 16, 4, 7, 1000), [8, 15, 49, 50]);
  assert.deepEqual(batchStarts(1_000_016, 16, 8, 0, 1), [913121, 929627, 1857, 819464, 888862, 992528, 222441, 466997]);
});

test("a batch is the windows at those starts: inputs tokens[s, s+C), targets tokens[s+1, s+C+1)", () => {
  const tokens = Int32Array.from({ length: 70 }, (_, i) => 1000 + i);
  const batch = trainingBatch(new MemoryTokens(tokens), 16, 4, 7, 2);
  assert.equal(batch.batch, 4);
  [49, 45, 28, 52].forEach((start, row) => {
    assert.deepEqual(Array.from(batch.inputs.subarray(row * 16, row * 16 + 16)), Array.from(tokens.subarray(start, start + 16)));
    assert.deepEqual(Array.from(batch.targets.subarray(row * 16, row * 16 + 16)), Array.from(tokens.subarray(start + 1, start + 17)));
  });
});

test("the same batches whether the split is one shard or many tiny ones, and as from memory", async () => {
  const one = await prepare([text, text], join(scratch, "one"), { split: { method: "first", val: 1, seed: null } });
  const many = await prepare([text, text], join(scratch, "many"), { split: { method: "first", val: 1, seed: null }, shardTokens: 5 });
  assert.equal(many.manifest.splits.train.shards.length, Math.ceil(one.manifest.splits.train.tokens / 5));
  const stream = splitTokens(one.dir, one.manifest, "train");
  const memory = new MemoryTokens(Int32Array.from(stream));
  const a = openDataset(one.dir);
  const b = openDataset(many.dir);
  try {
    for (let step = 1; step <= 30; step++) {
      const expected = trainingBatch(memory, 16, 8, 3, step);
      assert.deepEqual(trainingBatch(a.split("train"), 16, 8, 3, step), expected);
      assert.deepEqual(trainingBatch(b.split("train"), 16, 8, 3, step), expected);
    }
    // A window that starts in one shard and ends three shards later.
    const window = readWindows(b.split("train"), [3], 16);
    assert.deepEqual(Array.from(window.inputs), stream.slice(3, 19));
    assert.deepEqual(evaluationBatches(b.split("val"), 16, 8, "many"), evaluationBatches(a.split("val"), 16, 8, "one"));
    assert.equal(unigramEntropy(b.split("train")), unigramEntropy(memory));
  } finally {
    a.close();
    b.close();
  }
});

test("BatchReader gives each step's batch, read ahead during the step before, and a failed read when taken", async () => {
  const prepared = await prepare([text], join(scratch, "ahead"), { shardTokens: 50 });
  const dataset = openDataset(prepared.dir);
  const train = dataset.split("train");
  const reader = new BatchReader(train, 16, 8, 5);
  for (const step of [1, 2, 3, 7, 8, 2]) assert.deepEqual(await reader.take(step), trainingBatch(train, 16, 8, 5, step), `step ${step}`);
  const window = new Int32Array(120); // across three shards
  await train.readAsync(40, window);
  assert.deepEqual(Array.from(window), splitTokens(prepared.dir, prepared.manifest, "train").slice(40, 160));
  dataset.close();

  // An id outside the vocabulary everywhere but in the one window of step 1:
  // step 1 reads, the batch read ahead for step 2 fails, and says so when taken.
  const bad = new Int32Array(1000).fill(300);
  const [first] = batchStarts(1000, 16, 1, 0, 1);
  bad.fill(1, first, first + 17);
  const source = { length: 1000, read: () => undefined, readAsync: async (start: number, into: Int32Array) => {
    into.set(bad.subarray(start, start + into.length));
    if (into.some((id) => id >= 256)) throw new UserError("MOT623", ["d", start, "train", 300, 256]);
  } };
  const failing = new BatchReader(source, 16, 1, 0);
  assert.deepEqual(Array.from((await failing.take(1)).inputs), Array(16).fill(1));
  await assert.rejects(failing.take(2), (error: Error) => error instanceof UserError && error.code === "MOT623");
  // The read ahead for step 3 fails too and is never taken: no unhandled rejection ends the test.
  await new Promise((resolve) => setTimeout(resolve, 20));
});

test("evaluation: the first min(8·B, ⌊(N − 1)/C⌋) windows at 0, C, 2C, … in batches of B", () => {
  const val = new MemoryTokens(Int32Array.from({ length: 500 }, (_, i) => i));
  const batches = evaluationBatches(val, 16, 8, "d");
  assert.deepEqual(batches.map((b) => b.batch), [8, 8, 8, 7]); // ⌊499 / 16⌋ = 31 windows
  assert.deepEqual(batches.flatMap((b) => Array.from({ length: b.batch }, (_, row) => b.inputs[row * 16])), Array.from({ length: 31 }, (_, i) => i * 16));
  const long = evaluationBatches(new MemoryTokens(new Int32Array(100_000)), 16, 4, "d");
  assert.deepEqual(long.map((b) => b.batch), [4, 4, 4, 4, 4, 4, 4, 4]); // capped at 8 batches
});

test("too little data is refused with the numbers: N < C + 1 + B, or no val window", () => {
  const refuses = (fn: () => unknown, message: string) =>
    assert.throws(fn, (error: Error) => error instanceof UserError && `${error.code}: ${error.message}` === message);
  checkTrainSplit(new MemoryTokens(new Int32Array(25)), 16, 8, "d");
  refuses(() => checkTrainSplit(new MemoryTokens(new Int32Array(24)), 16, 8, "data/x"),
    "MOT626: the train split of data/x has 24 tokens, but a batch of 8 windows of 17 needs at least 25; give more data or a smaller --batch");
  refuses(() => evaluationBatches(new MemoryTokens(new Int32Array(16)), 16, 8, "data/x"),
    "MOT627: the val split of data/x has 16 tokens, fewer than one window of 17; prepare it with a larger --val");
});
