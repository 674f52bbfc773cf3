// `motc compile` as a user runs it: the file it writes, the line it prints,
// and clear one-line failures that leave nothing behind.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { writeCheckpoint } from "../../src/train/checkpoint.js";
import { repoRoot, runMotc } from "../support/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "motc-compile-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const specPath = join(repoRoot, "specs", "tiny.mot");
const specText = readFileSync(specPath, "utf8");
const models = checkSpec({ path: specPath, text: specText }).models;
const tiny = models.find((m) => m.name === "tiny")!;
const tinyDense = models.find((m) => m.name === "tiny_dense")!;

/** A fresh empty output directory. */
const outDir = (name: string) => join(scratch, name);

test("compile writes DIR/NAME.onnx with the recipe's seed, byte-identical on a second run, and prints one line", () => {
  const out = outDir("plain");
  const first = runMotc(["compile", "specs/tiny.mot", "--out", out]);
  assert.equal(first.code, 0, first.stderr);
  const path = join(out, "tiny.onnx");
  const bytes = readFileSync(path);
  assert.match(first.stdout, /^\S*tiny\.onnx {2}1\.3 MB {2}318,082 params\n$/);
  // Without --weights: initialWeights(model, recipe seed 0); the spec text is recorded.
  assert.ok(bytes.equals(lowerToOnnx(tiny, initialWeights(tiny, 0), { specText })), "not the seeded weights of the recipe");
  assert.equal(runMotc(["compile", "specs/tiny.mot", "--out", out]).code, 0);
  assert.ok(readFileSync(path).equals(bytes), "a second compile differs");
  assert.deepEqual(readdirSync(out), ["tiny.onnx"]);

  const seeded = runMotc(["compile", "specs/tiny.mot", "--out", outDir("seeded"), "--seed", "3", "--model", "tiny_dense", "--kv-cache"]);
  assert.equal(seeded.code, 0, seeded.stderr);
  assert.ok(readFileSync(join(outDir("seeded"), "tiny_dense.onnx")).equals(lowerToOnnx(tinyDense, initialWeights(tinyDense, 3), { specText, kvCache: true })));
});

test("compile --weights takes a checkpoint's tensors", () => {
  const checkpoint = join(scratch, "ckpt-tiny");
  const weights = initialWeights(tiny, 42);
  writeCheckpoint(checkpoint, tiny, 10, weights);
  const out = outDir("weights");
  const result = runMotc(["compile", "specs/tiny.mot", "--out", out, "--weights", checkpoint, "--fp16"]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(readFileSync(join(out, "tiny.onnx")).equals(lowerToOnnx(tiny, weights, { specText, fp16: true })));
});

test("compile failures print one clear line, exit non-zero and leave no file", () => {
  const wrongModel = join(scratch, "ckpt-dense");
  writeCheckpoint(wrongModel, tinyDense, 1, initialWeights(tinyDense, 0));
  const cases: [string[], RegExp][] = [
    [["--weights", join(scratch, "no-such-checkpoint")], /no such checkpoint directory/],
    [["--weights", wrongModel], /checkpoint has no parameter 'layers\.1\.mot\.controller'/],
    [["--opset", "99"], /opset 99 is not supported/],
    [["--opset", "seventeen"], /--opset must be an integer/],
    [["--model", "nosuch"], /no model 'nosuch'/],
  ];
  for (const [args, message] of cases) {
    const out = outDir(`fail-${args.join("-").replace(/[^a-z0-9]/gi, "")}`);
    const result = runMotc(["compile", "specs/tiny.mot", "--out", out, ...args]);
    assert.notEqual(result.code, 0, args.join(" "));
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.ok(!existsSync(out) || readdirSync(out).length === 0, `${args.join(" ")} left ${existsSync(out) ? readdirSync(out) : ""}`);
  }
  // An output directory that cannot be made: the write fails before anything exists.
  const blocker = join(scratch, "a-file");
  writeFileSync(blocker, "");
  const unwritable = runMotc(["compile", "specs/tiny.mot", "--out", join(blocker, "sub")]);
  assert.equal(unwritable.code, 1);
  assert.match(unwritable.stderr, /^motc: cannot write .*tiny\.onnx: not a directory\n$/);

  const bidirectional = runMotc(["compile", "specs/attention.mot", "--out", outDir("fail-kv"), "--kv-cache"]);
  assert.equal(bidirectional.code, 1);
  assert.match(bidirectional.stderr, /--kv-cache needs causal attention, but layers\.1 has causal = false/);
});
