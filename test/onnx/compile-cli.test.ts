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
    [["--weights", join(scratch, "no-such-checkpoint")], /^motc: error MOT300: .*no-such-checkpoint: no such checkpoint directory$/],
    [["--weights", wrongModel], /^motc: error MOT304: .*ckpt-dense: checkpoint has no parameter 'layers\.1\.mot\.controller' \(it was trained for model 'tiny_dense'\)$/],
    [["--opset", "99"], /^motc: error MOT400: opset 99 is not supported \(motc writes opsets 17 to \d+\)$/],
    [["--opset", "seventeen"], /^motc: error MOT220: --opset must be an integer, got 'seventeen'$/],
    [["--seed", "1.5"], /^motc: error MOT220: --seed must be an integer, got '1\.5'$/],
    [["--model", "nosuch"], /^motc: error MOT231: specs\/tiny\.mot: no model 'nosuch' \(it declares 'tiny', 'tiny_dense'\)$/],
  ];
  for (const [args, message] of cases) {
    const out = outDir(`fail-${args.join("-").replace(/[^a-z0-9]/gi, "")}`);
    const result = runMotc(["compile", "specs/tiny.mot", "--out", out, ...args]);
    assert.notEqual(result.code, 0, args.join(" "));
    assert.match(result.stderr.trimEnd(), message);
    assert.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.ok(!existsSync(out) || readdirSync(out).length === 0, `${args.join(" ")} left ${existsSync(out) ? readdirSync(out) : ""}`);
  }
  // An output directory that cannot be made: the write fails before anything exists.
  const blocker = join(scratch, "a-file");
  writeFileSync(blocker, "");
  const unwritable = runMotc(["compile", "specs/tiny.mot", "--out", join(blocker, "sub")]);
  assert.equal(unwritable.code, 1);
  assert.match(unwritable.stderr, /^motc: error MOT202: cannot write .*tiny\.onnx: .*a-file is a file, not a directory\n$/);

  const bidirectional = runMotc(["compile", "specs/attention.mot", "--out", outDir("fail-kv"), "--kv-cache"]);
  assert.equal(bidirectional.code, 1);
  assert.equal(bidirectional.stderr, "motc: error MOT402: --kv-cache needs causal attention, but layers.1 has causal = false\n");
});

test("compile refuses a KV cache without attention, an empty spec, a model too big for memory and a spec with errors", () => {
  const noAttention = join(scratch, "no-attention.mot");
  writeFileSync(noAttention, "model ffonly {\n  vocab = 16\n  context = 8\n  d_model = 8\n  embed\n  ff\n  head\n}\n");
  const kv = runMotc(["compile", noAttention, "--out", outDir("fail-no-attention"), "--kv-cache"]);
  assert.equal(kv.code, 1);
  assert.equal(kv.stderr, "motc: error MOT401: model 'ffonly' has no attention layer, so it has no KV cache\n");

  const empty = join(scratch, "empty.mot");
  writeFileSync(empty, "# no models yet\n");
  const none = runMotc(["compile", empty, "--out", outDir("fail-empty")]);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, `motc: error MOT230: ${empty}: declares no model\n`);

  // 16 blocks of 2 × 16384 × 65536 parameters: 3.4e10 float32, 137 GB, under the checker's limit of 1e11.
  const huge = join(scratch, "huge.mot");
  writeFileSync(huge, "model huge {\n  vocab = 256\n  context = 8\n  d_model = 16384\n  embed\n  repeat 16 { ff(size = 65536) }\n  head\n}\n");
  const big = runMotc(["compile", huge, "--out", outDir("fail-huge")]);
  assert.equal(big.code, 1);
  assert.match(big.stderr, /^motc: error MOT322: model 'huge' needs 137\.\d\d GB for its weights but only [\d.]+ [kMG]B of memory is free\n$/);
  assert.equal(existsSync(outDir("fail-huge")), false);

  const broken = join(scratch, "broken.mot");
  writeFileSync(broken, "model b {\n  vocab = 16\n  context = 8\n  d_model = 8\n  embed\n  attention(heads = 3)\n  atention\n  head\n}\n");
  const errors = runMotc(["compile", broken, "--out", outDir("fail-broken")]);
  assert.equal(errors.code, 1);
  const lines = errors.stderr.trimEnd().split("\n");
  assert.match(lines[0], /broken\.mot:6:21: error MOT026: heads = 3 does not divide d_model = 8$/);
  assert.match(lines[4], /broken\.mot:7:3: error MOT011: unknown layer .atention.$/);
  assert.equal(lines[lines.length - 1], `motc: error MOT099: ${broken} has 2 errors`);
  writeFileSync(broken, "model b {\n  vocab = 16\n  context = 8\n  d_model = 8\n  embed\n  attention(heads = 3)\n  head\n}\n");
  const one = runMotc(["compile", broken, "--out", outDir("fail-broken")]);
  assert.equal(one.code, 1);
  assert.equal(one.stderr.trimEnd().split("\n").at(-1), `motc: error MOT099: ${broken} has 1 error`);
  assert.equal(existsSync(outDir("fail-broken")), false);
});

test("lowering refuses weights that do not fit the model: one missing, one of the wrong length", () => {
  const missing = initialWeights(tiny, 0);
  missing.delete("layers.1.mot.controller");
  assert.throws(() => lowerToOnnx(tiny, missing), { code: "MOT320", message: "no weights for parameter 'layers.1.mot.controller'" });
  const short = initialWeights(tiny, 0);
  short.set("embed.position", new Float32Array(10));
  assert.throws(() => lowerToOnnx(tiny, short), { code: "MOT321", message: "parameter 'embed.position' has 10 values but shape [64,64] needs 4096" });
});
