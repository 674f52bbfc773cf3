// Opening a prepared dataset: a manifest that is not one, a shard of the wrong
// size or missing, and an id outside the vocabulary are refused in one coded line.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../../src/base/errors.js";
import { openDataset } from "../../src/data/dataset.js";
import { prepare, scratchDir } from "./support.js";

const scratch = scratchDir("dataset");
const text = join(scratch, "text.txt");
const content = "The quick brown fox jumps over the lazy dog. ".repeat(10);
writeFileSync(text, content);

const refuses = (dir: string, message: string) =>
  assert.throws(() => openDataset(dir), (error: Error) => error instanceof UserError && `${error.code}: ${error.message}` === message);

/** A fresh copy of a good dataset to damage. */
async function dataset(name: string): Promise<string> {
  const good = join(scratch, "good");
  if (!readFileSafe(join(good, "manifest.json"))) await prepare([text], good, { shardTokens: 100 });
  const dir = join(scratch, name);
  cpSync(good, dir, { recursive: true });
  return dir;
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

test("a good dataset opens, its splits read back what the shards hold", async () => {
  const dir = await dataset("fine");
  const opened = openDataset(dir);
  const val = new Int32Array(opened.split("val").length);
  opened.split("val").read(0, val);
  assert.equal(val.length, Math.floor(451 * 0.05)); // 450 bytes and the end-of-text id, the last 5% held out
  assert.deepEqual(Array.from(val), [...Buffer.from(content).subarray(-21), 0]);
  const train = new Int32Array(opened.split("train").length);
  opened.split("train").read(0, train); // across its five shards
  assert.deepEqual(Array.from(train), [...Buffer.from(content).subarray(0, -21)]);
  opened.close();
});

test("no manifest, or one that is not a motc dataset, is refused", async () => {
  const empty = join(scratch, "empty");
  mkdirSync(empty);
  refuses(empty, `MOT620: ${empty}: not a prepared dataset (no manifest.json); make one with 'motc data prepare'`);
  const dir = await dataset("bad-manifest");
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  writeFileSync(join(dir, "manifest.json"), "{ not json");
  refuses(dir, `MOT621: ${dir}: manifest.json is not a motc dataset of version 1 (not valid JSON)`);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, version: 2 }));
  refuses(dir, `MOT621: ${dir}: manifest.json is not a motc dataset of version 1 (version 2)`);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, vocab: 50257 }));
  refuses(dir, `MOT621: ${dir}: manifest.json is not a motc dataset of version 1 (vocab 50257 and eot 0 are not those of bytes)`);
  const outside = { ...manifest, splits: { ...manifest.splits, val: { ...manifest.splits.val, shards: [{ ...manifest.splits.val.shards[0], file: "../x.bin" }] } } };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(outside));
  assert.throws(() => openDataset(dir), (error: Error) => error instanceof UserError && error.code === "MOT621" && /a bad val shard entry \{"file":"\.\.\/x\.bin"/.test(error.message));
});

test("a shard of the wrong size, or missing, is refused before any read", async () => {
  const dir = await dataset("short-shard");
  truncateSync(join(dir, "train-00001.bin"), 150);
  refuses(dir, `MOT622: ${dir}: shard train-00001.bin has 150 bytes, but the manifest says 100 tokens of uint16`);
  rmSync(join(dir, "train-00001.bin"));
  refuses(dir, `MOT201: cannot read ${join(dir, "train-00001.bin")}: no such file or directory`);
});

test("an id outside the vocabulary is refused where it is read, naming its position", async () => {
  const dir = await dataset("corrupt");
  const shard = readFileSync(join(dir, "train-00002.bin"));
  shard.writeUInt16LE(300, 2 * 7);
  writeFileSync(join(dir, "train-00002.bin"), shard);
  const opened = openDataset(dir);
  assert.throws(() => opened.split("train").read(200, new Int32Array(10)),
    (error: Error) => error instanceof UserError && `${error.code}: ${error.message}` === `MOT623: ${dir}: token 207 of the train split is 300, not below the vocabulary of 256 (a corrupt shard?)`);
  opened.close();
});
