// `motc data prepare`'s pipeline in-process: a small JSONL.gz corpus with known
// contents checked token by token in the shards, the manifest's counts and
// hashes, the split rules, shard bounds, byte-identical re-runs, and GPT-2
// tokens of long documents cut into pieces equal to those of the whole.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { UserError } from "../../src/base/errors.js";
import { tokenizerNamed } from "../../src/base/tokenizer.js";
import { warnings } from "../../src/cli/data.js";
import { brownFiles, stripBrownTags } from "../../src/data/brown.js";
import { fingerprintOf, manifestText } from "../../src/data/manifest.js";
import { Random } from "../../src/ir/random.js";
import { prepare, scratchDir, sha256, splitTokens, utf8 } from "./support.js";

const scratch = scratchDir("prepare");

/** Every kind of record: good ones, bad ones to skip, text to repair. */
const lines = [
  Buffer.from('{"text": "héllo", "id": 1}'),
  Buffer.from("this is not json"),
  Buffer.from('{"title": "no text here"}'),
  Buffer.from('{"text": ""}'),
  Buffer.from("   "),
  Buffer.from('{"text": "a\\u0000b"}'),
  Buffer.concat([Buffer.from('{"text": "caf'), Buffer.from([0xe9]), Buffer.from('!"}')]),
  Buffer.from('{"text": 7}'),
  Buffer.from("[1, 2]"),
  Buffer.from('{"text": "end \\ud800"}'),
  Buffer.from('{"text": "last"}'),
];
const corpus = join(scratch, "corpus.jsonl.gz");
writeFileSync(corpus, gzipSync(Buffer.concat(lines.flatMap((line, i) => (i < lines.length - 1 ? [line, Buffer.from("\n")] : [line])))));
const plain = join(scratch, "plain.txt");
writeFileSync(plain, "one\ntwo\n");

const documents = [
  [...utf8("héllo"), 0],
  [...utf8("ab"), 0], // NUL dropped
  [...utf8("caf\uFFFD!"), 0], // the bad byte replaced
  [...utf8("end \uFFFD"), 0], // the lone surrogate replaced
  [...utf8("last"), 0],
  [...utf8("one\ntwo\n"), 0],
];

const shardHash = (ids: number[]) => sha256(new Uint8Array(Uint16Array.from(ids).buffer));

test("a JSONL.gz corpus and a text file: every token in the shards, and the manifest's counts and hashes", async () => {
  const out = join(scratch, "known");
  const prepared = await prepare([corpus, plain], out, { split: { method: "first", val: 1, seed: null } });
  const train = documents.slice(1).flat();
  const val = documents[0];
  const { manifest } = prepared;
  assert.deepEqual(splitTokens(out, manifest, "train"), train);
  assert.deepEqual(splitTokens(out, manifest, "val"), val);
  assert.deepEqual(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")), {
    format: "motc-dataset", version: 1, tokenizer: "bytes", vocab: 256, dtype: "uint16", eot: 0,
    splits: {
      train: { tokens: train.length, documents: 5, shards: [{ file: "train-00000.bin", tokens: train.length, sha256: shardHash(train) }] },
      val: { tokens: val.length, documents: 1, shards: [{ file: "val-00000.bin", tokens: val.length, sha256: shardHash(val) }] },
    },
    split: { method: "first", val: 1, seed: null },
    sources: [
      { path: corpus, bytes: readFileSync(corpus).length, sha256: sha256(readFileSync(corpus)) },
      { path: plain, bytes: 8, sha256: sha256("one\ntwo\n") },
    ],
    skipped: { invalid_json: 2, missing_field: 2, too_long: 0, empty: 1, invalid_utf8: 2, nul: 1 },
  });
  // Canonical bytes: the contract's key order, 2-space indent, a trailing newline.
  const text = readFileSync(join(out, "manifest.json"), "utf8");
  assert.equal(text, manifestText(manifest));
  assert.deepEqual(Object.keys(JSON.parse(text)), ["format", "version", "tokenizer", "vocab", "dtype", "eot", "splits", "split", "sources", "skipped"]);
  assert.equal(prepared.fingerprint, sha256(text));
  assert.equal(prepared.fingerprint, fingerprintOf(text));
  assert.deepEqual(readdirSync(out).sort(), ["manifest.json", "train-00000.bin", "val-00000.bin"]);
  assert.deepEqual(readdirSync(scratch).filter((name) => name.includes(".tmp-")), []);
});

test("the same inputs and flags give byte-identical datasets", async () => {
  const a = join(scratch, "again-a");
  const b = join(scratch, "again-b");
  const options = { tokenizer: "gpt2" as const, split: { method: "random" as const, val: 0.5, seed: 3 }, shardTokens: 7 };
  await prepare([corpus, plain, corpus], a, options);
  await prepare([corpus, plain, corpus], b, options);
  const files = readdirSync(a).sort();
  assert.ok(files.length > 3, files.join(" "));
  assert.deepEqual(readdirSync(b).sort(), files);
  for (const file of files) assert.ok(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file);
});

test("--val F draws each document from the seed and its index alone; --val-tail N holds out the last N tokens", async () => {
  const inputs = [corpus, plain, corpus, plain];
  const all = [...documents, ...documents];
  const random = await prepare(inputs, join(scratch, "random"), { split: { method: "random", val: 0.4, seed: 11 } });
  const held = all.map((_, i) => new Random(11, `data.val.${i}`).uniform() < 0.4);
  assert.ok(held.includes(true) && held.includes(false), "the seed splits these documents both ways");
  assert.deepEqual(splitTokens(random.dir, random.manifest, "val"), all.filter((_, i) => held[i]).flat());
  assert.deepEqual(splitTokens(random.dir, random.manifest, "train"), all.filter((_, i) => !held[i]).flat());
  assert.deepEqual(random.manifest.split, { method: "random", val: 0.4, seed: 11 });

  const stream = all.flat();
  const tail = await prepare(inputs, join(scratch, "tail"), { split: { method: "tail", val: 12, seed: null }, shardTokens: 5 });
  assert.deepEqual(splitTokens(tail.dir, tail.manifest, "train"), stream.slice(0, -12));
  assert.deepEqual(splitTokens(tail.dir, tail.manifest, "val"), stream.slice(-12));
  // The last 12 tokens are "st" + NUL of "last" and all of "one\ntwo\n": a document cut
  // in two counts in the split that holds its end-of-text id.
  assert.equal(tail.manifest.splits.val.documents, 2);
  assert.equal(tail.manifest.splits.train.documents, 10);
  // The truncated shard is re-hashed; shards after the cut are gone.
  for (const shard of [...tail.manifest.splits.train.shards, ...tail.manifest.splits.val.shards]) {
    assert.ok(shard.tokens <= 5 && shard.tokens > 0);
    assert.equal(shard.sha256, sha256(readFileSync(join(tail.dir, shard.file))));
  }
  const files = readdirSync(tail.dir).filter((name) => name.endsWith(".bin")).sort();
  assert.deepEqual(files, [...tail.manifest.splits.train.shards, ...tail.manifest.splits.val.shards].map((s) => s.file).sort());

  const fraction = await prepare(inputs, join(scratch, "fraction"), { split: { method: "tail", val: 0.25, seed: null } });
  assert.equal(fraction.manifest.splits.val.tokens, Math.floor(stream.length * 0.25));
});

test("a JSON line longer than the limit is skipped and counted (MOT652), or with --strict refused (MOT607)", async () => {
  const file = join(scratch, "long-lines.jsonl");
  // The 2.5 MB line spans several chunks of the read stream; the last line has no newline.
  writeFileSync(file, `{"text": "short"}\n{"text": "${"x".repeat(2_500_000)}"}\n{"text": "ok"}\n{"text": "${"y".repeat(1_100_000)}"}`);
  const limit = { maxLineBytes: 1 << 20, split: { method: "tail" as const, val: 0, seed: null } };
  const prepared = await prepare([file], join(scratch, "long-lines"), limit);
  assert.deepEqual(splitTokens(prepared.dir, prepared.manifest, "train"), [...utf8("short"), 0, ...utf8("ok"), 0]);
  assert.equal(prepared.manifest.skipped.too_long, 2);
  assert.deepEqual(warnings(prepared.manifest, "text", 1 << 20), ["motc: warning MOT652: lines longer than 1048576 bytes, skipped: 2"]);
  await assert.rejects(prepare([file], join(scratch, "long-strict"), { ...limit, strict: true }),
    (error: Error) => error instanceof UserError && error.code === "MOT607" && error.message === `${file}:2: a line longer than 1048576 bytes (--strict)`);
});

test("shards are bounded; the stream is their concatenation in index order", async () => {
  const one = await prepare([corpus, plain], join(scratch, "one-shard"), { split: { method: "first", val: 1, seed: null } });
  const many = await prepare([corpus, plain], join(scratch, "many-shards"), { split: { method: "first", val: 1, seed: null }, shardTokens: 4 });
  const shards = many.manifest.splits.train.shards;
  assert.equal(documents.slice(1).flat().length, 33);
  assert.deepEqual(shards.map((s) => s.tokens), [4, 4, 4, 4, 4, 4, 4, 4, 1]);
  assert.deepEqual(shards.map((s) => s.file), [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => `train-0000${i}.bin`));
  assert.deepEqual(splitTokens(many.dir, many.manifest, "train"), splitTokens(one.dir, one.manifest, "train"));
});

test("a directory is read in sorted name order, hidden files and datasets skipped, subdirectories walked", async () => {
  const dir = join(scratch, "tree");
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "b.txt"), "B");
  writeFileSync(join(dir, "a.jsonl"), '{"text": "A"}\n{"text": "AA"}\n');
  writeFileSync(join(dir, "sub", "c.txt"), "C");
  writeFileSync(join(dir, ".hidden"), "never");
  await prepare([join(dir, "b.txt")], join(dir, "an-earlier-dataset"), { split: { method: "tail", val: 0, seed: null } });
  const prepared = await prepare([dir], join(scratch, "tree-out"), { split: { method: "first", val: 1, seed: null } });
  assert.deepEqual(prepared.manifest.sources.map((s) => s.path), [join(dir, "a.jsonl"), join(dir, "b.txt"), join(dir, "sub", "c.txt")]);
  assert.deepEqual(splitTokens(prepared.dir, prepared.manifest, "train"), [...utf8("AA"), 0, ...utf8("B"), 0, ...utf8("C"), 0]);
});

test("a text file larger than a piece keeps every byte (bytes) and every BPE token (gpt2)", async () => {
  const text = brownFiles().slice(0, 150).map(({ file }) => stripBrownTags(readFileSync(file, "utf8"))).join("\n\n") + " naïve café — ünïcödé ";
  assert.ok(Buffer.byteLength(text) > 1.3 * (1 << 20), `${Buffer.byteLength(text)} bytes`);
  const file = join(scratch, "long.txt");
  writeFileSync(file, text);
  const none = { split: { method: "tail" as const, val: 0, seed: null } };
  const bytes = await prepare([file], join(scratch, "long-bytes"), none);
  assert.deepEqual(splitTokens(bytes.dir, bytes.manifest, "train"), [...utf8(text), 0]);
  const gpt2 = await prepare([file], join(scratch, "long-gpt2"), { ...none, tokenizer: "gpt2" });
  const tokenizer = await tokenizerNamed("gpt2");
  assert.deepEqual(splitTokens(gpt2.dir, gpt2.manifest, "train"), [...tokenizer.encode(text), 50256]);
  assert.equal(gpt2.manifest.dtype, "uint16");
  assert.equal(gpt2.manifest.eot, 50256);
  assert.equal(existsSync(join(gpt2.dir, "val-00000.bin")), false);
});
