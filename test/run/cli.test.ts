// `motc run`: predictions, --json logits against a direct onnxruntime session,
// and every kind of bad input ending in one line and a non-zero exit.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { runMotc } from "../support/cli.js";
import { compiledModel } from "./compiled.js";
import { buildToyModel, writeToyModel } from "./toy-model.js";

const model = writeToyModel();
const dir = dirname(model);
const plain = join(dir, "plain.onnx");
writeFileSync(plain, buildToyModel({ kvCache: false }));
const anonymous = join(dir, "anonymous.onnx");
writeFileSync(anonymous, buildToyModel({ kvCache: false, metadata: false }));

/** Logits straight from onnxruntime-node, with the empty past the decoder form needs. */
async function directLogits(path: string, batch: number[][]): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(path);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(batch.flat().map(BigInt)), [batch.length, batch[0].length]),
  };
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith("past_key_values.") || !meta.isTensor) continue;
    const dims = meta.shape.map((d, axis) => (axis === 0 ? batch.length : axis === 2 ? 0 : Number(d)));
    feeds[meta.name] = new ort.Tensor("float32", new Float32Array(0), dims);
  }
  const out = await session.run(feeds);
  return { dims: out.logits.dims, data: out.logits.data as Float32Array };
}

function oneLineFailure(args: string[], pattern: RegExp, code = 1): void {
  const result = runMotc(args);
  assert.equal(result.code, code, `exit code for ${args.join(" ")}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line for ${args.join(" ")}: ${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
}

test("motc run --text prints the top predictions with the decoded tokens, ranked by probability", async () => {
  const result = runMotc(["run", model, "--text", "Hello", "--ep", "cpu", "--top", "3"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const lines = result.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "toy: 1 × 5 tokens, vocab 256, provider cpu");
  assert.equal(lines[1], "next token after position 4:");
  assert.equal(lines.length, 5);
  // The ranking must be the reference's: argsort of the last position's logits.
  const direct = await directLogits(model, [[72, 101, 108, 108, 111]]);
  const last = Array.from(direct.data.subarray(4 * 256, 5 * 256));
  const expected = last.map((v, id) => ({ v, id })).sort((a, b) => b.v - a.v).slice(0, 3);
  const exps = last.map((v) => Math.exp(v - expected[0].v));
  const total = exps.reduce((a, b) => a + b, 0);
  expected.forEach(({ id }, rank) => {
    const match = /^\s+(\d+)\.\s+(\d+)\s+p=([\d.]+)\s+logit=(-?[\d.]+)\s+(\S+)$/.exec(lines[2 + rank]);
    assert.ok(match, lines[2 + rank]);
    assert.equal(Number(match[1]), rank + 1);
    assert.equal(Number(match[2]), id);
    assert.ok(Math.abs(Number(match[3]) - exps[id] / total) < 1e-4);
  });
});

test("motc run --json gives the logits of a direct onnxruntime session, for a batch", async () => {
  const batch = [[1, 2, 3, 4], [200, 100, 50, 25], [7, 7, 7, 7]];
  for (const path of [model, plain]) {
    const result = runMotc(["run", path, "--ids", JSON.stringify(batch), "--ep", "cpu", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { provider: string; shape: number[]; logits: number[] };
    const direct = await directLogits(path, batch);
    assert.equal(json.provider, "cpu");
    assert.deepEqual(json.shape, [3, 4, 256]);
    assert.deepEqual(json.shape, [...direct.dims]);
    assert.equal(json.logits.length, direct.data.length);
    let worst = 0;
    json.logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - direct.data[i]))));
    assert.ok(worst <= 1e-5, `max |difference| ${worst}`);
  }
});

test("motc run on specs/tiny.mot compiled by motc: predictions, and --json logits equal a direct ORT session's", async (t) => {
  const compiled = compiledModel("specs/tiny.mot", true);
  if (typeof compiled !== "string") {
    t.diagnostic(`compiled-model check not run: ${compiled.reason}`);
    return;
  }
  const text = runMotc(["run", compiled, "--text", "Hello", "--ep", "cpu", "--top", "4"]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "tiny: 1 × 5 tokens, vocab 256, provider cpu");
  assert.equal(lines.length, 6);
  const probabilities = lines.slice(2).map((l) => Number(/p=([\d.]+)/.exec(l)?.[1]));
  assert.ok(probabilities.every((p, i) => p > 0 && (i === 0 || p <= probabilities[i - 1])), lines.join("\n"));

  const batch = [[1, 2, 3], [40, 50, 60], [7, 8, 9], [100, 101, 102], [0, 0, 0]]; // 5 rows: group 4 leaves 1
  const json = runMotc(["run", compiled, "--ids", JSON.stringify(batch), "--ep", "cpu", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { model: string; shape: number[]; logits: number[] };
  const direct = await directLogits(compiled, batch);
  assert.equal(parsed.model, "tiny");
  assert.deepEqual(parsed.shape, [...direct.dims]);
  let worst = 0;
  parsed.logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - direct.data[i]))));
  assert.ok(worst <= 1e-5, `max |difference| ${worst}`);
});

test("a model without motc metadata still runs on --ids", () => {
  const result = runMotc(["run", anonymous, "--ids", "[[5,6],[7,8]]", "--ep", "cpu", "--top", "2"]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `${anonymous}: 2 × 2 tokens, vocab 256, provider cpu`);
  assert.deepEqual(lines.map((l) => l.replace(/^\s+\d+\.\s+\d+\s+p=[\d.]+\s+logit=-?[\d.]+$/, "#")), [lines[0], "sequence 0, next token after position 1:", "#", "#", "sequence 1, next token after position 1:", "#", "#"]);
});

test("bad input: one clear line and a non-zero exit each", () => {
  const bad = join(dir, "bad.onnx");
  writeFileSync(bad, "this is not a protobuf\n");
  const truncated = join(dir, "truncated.onnx");
  writeFileSync(truncated, buildToyModel().subarray(0, 2000));
  const { onnx } = onnxProto;
  const unknownOp = onnx.ModelProto.decode(buildToyModel());
  unknownOp.graph!.node![5].opType = "NoSuchOp";
  writeFileSync(join(dir, "unknown-op.onnx"), onnx.ModelProto.encode(unknownOp).finish());
  const notLanguage = onnx.ModelProto.decode(buildToyModel({ kvCache: false }));
  notLanguage.graph!.input![0].name = "token_ids";
  notLanguage.graph!.node!.filter((n) => n.input?.includes("input_ids")).forEach((n) => (n.input = n.input!.map((i) => (i === "input_ids" ? "token_ids" : i))));
  writeFileSync(join(dir, "not-language.onnx"), onnx.ModelProto.encode(notLanguage).finish());
  const empty = join(dir, "empty.onnx");
  writeFileSync(empty, "");
  const noGraph = join(dir, "no-graph.onnx");
  writeFileSync(noGraph, onnx.ModelProto.encode({ irVersion: 8, producerName: "motc-test" }).finish());
  // Names a different output: no logits come back.
  const noLogits = onnx.ModelProto.decode(buildToyModel({ kvCache: false }));
  noLogits.graph!.output![0].name = "scores_out";
  noLogits.graph!.node!.find((n) => n.output?.[0] === "logits")!.output = ["scores_out"];
  writeFileSync(join(dir, "no-logits.onnx"), onnx.ModelProto.encode(noLogits).finish());
  // Declares int32 ids: onnxruntime opens it, then refuses motc's int64 input when it runs.
  const int32Ids = onnx.ModelProto.decode(buildToyModel({ kvCache: false }));
  int32Ids.graph!.input![0].type!.tensorType!.elemType = 6;
  writeFileSync(join(dir, "int32-ids.onnx"), onnx.ModelProto.encode(int32Ids).finish());
  // A cache whose heads and head size are symbolic, in a model without motc's metadata to say them.
  const symbolicCache = onnx.ModelProto.decode(buildToyModel({ metadata: false }));
  for (const input of symbolicCache.graph!.input!.slice(1)) {
    const dims = input.type!.tensorType!.shape!.dim!;
    dims[1] = { dimParam: "heads" };
    dims[3] = { dimParam: "head_dim" };
  }
  writeFileSync(join(dir, "symbolic-cache.onnx"), onnx.ModelProto.encode(symbolicCache).finish());

  const path = (name: string) => join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  oneLineFailure(["run", join(dir, "missing.onnx"), "--ids", "[1]", "--ep", "cpu"], new RegExp(`^motc: error MOT201: cannot read ${path("missing.onnx")}: no such file or directory$`));
  oneLineFailure(["run", dir, "--ids", "[1]", "--ep", "cpu"], new RegExp(`^motc: error MOT201: cannot read ${path("")}: is a directory$`));
  oneLineFailure(["run", join(dir, "unknown-op.onnx"), "--ids", "[1]"], /^motc: error MOT411: .*unknown-op\.onnx: onnxruntime cannot load it: .*No Op registered for NoSuchOp/);
  oneLineFailure(["run", join(dir, "not-language.onnx"), "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT420: .*not-language\.onnx: not a language model motc can run \(inputs: token_ids; expected input_ids int64 \[batch, sequence\]\)$/);
  oneLineFailure(["run", join(dir, "no-logits.onnx"), "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT421: .*no-logits\.onnx: the model has no float32 'logits' output of shape \[batch, sequence, vocab\]$/);
  oneLineFailure(["run", join(dir, "int32-ids.onnx"), "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT424: .*int32-ids\.onnx: onnxruntime failed: .*int(32|64)/);
  oneLineFailure(["run", join(dir, "symbolic-cache.onnx"), "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT422: .*symbolic-cache\.onnx: past_key_values\.0\.key has no static heads\/head_dim and the model's metadata does not say$/);
  oneLineFailure(["run", bad, "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT410: .*bad\.onnx: not a valid ONNX model \(/);
  oneLineFailure(["run", truncated, "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT410: .*truncated\.onnx: not a valid ONNX model \(length past the end of the file/);
  oneLineFailure(["run", empty, "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT410: .*empty\.onnx: not a valid ONNX model \(empty file\)$/);
  oneLineFailure(["run", noGraph, "--ids", "[1]", "--ep", "cpu"], /^motc: error MOT410: .*no-graph\.onnx: not a valid ONNX model \(no graph\)$/);
  oneLineFailure(["run", anonymous, "--text", "hi", "--ep", "cpu"], /^motc: error MOT425: .*anonymous\.onnx: the model names no tokenizer \(no motc\.tokenizer metadata\); give token ids with --ids$/);
  oneLineFailure(["run", model, "--ids", "[[1,2],[3]]", "--ep", "cpu"], /^motc: error MOT436: ragged batch: sequence 1 has 1 token but sequence 0 has 2 \(all must be the same length\)$/);
  oneLineFailure(["run", model, "--ids", "[1,2,256]", "--ep", "cpu"], /^motc: error MOT438: token id 256 at sequence 0, position 2 is out of range \(the vocabulary is \[0, 256\)\)$/);
  oneLineFailure(["run", model, "--ids", "[-3]", "--ep", "cpu"], /^motc: error MOT438: token id -3 .* out of range/);
  oneLineFailure(["run", model, "--ids", "[1, \"a\"]", "--ep", "cpu"], /^motc: error MOT433: --ids: sequence 0, position 1: "a" is not an integer token id$/);
  oneLineFailure(["run", model, "--ids", "[1,[2]]", "--ep", "cpu"], /^motc: error MOT432: --ids mixes ids and arrays/);
  oneLineFailure(["run", model, "--ids", "[1,2", "--ep", "cpu"], /^motc: error MOT430: --ids is not valid JSON: \[1,2$/);
  oneLineFailure(["run", model, "--ids", "[]", "--ep", "cpu"], /^motc: error MOT431: --ids must be a non-empty JSON array/);
  oneLineFailure(["run", model, "--ids", JSON.stringify(Array.from({ length: 25 }, (_, i) => i)), "--ep", "cpu"], /^motc: error MOT437: sequence of 25 tokens is longer than the model's context of 24$/);
  // An empty --text and an empty sequence of ids are the same mistake.
  oneLineFailure(["run", model, "--text", "", "--ep", "cpu"], /^motc: error MOT435: empty sequence: give at least one token$/);
  oneLineFailure(["run", model, "--ids", "[[]]", "--ep", "cpu"], /^motc: error MOT435: empty sequence: give at least one token$/);
  oneLineFailure(["run", model, "--ids", "[1]", "--text", "a"], /^motc: error MOT221: give exactly one of --ids or --text$/, 2);
  oneLineFailure(["run", model, "--ids", "[1]", "--top", "0"], /^motc: error MOT220: --top must be a whole number >= 1, got '0'$/, 2);
  oneLineFailure(["run", model, "--ids", "[1]", "--threads", "two"], /^motc: error MOT220: --threads must be a whole number >= 1, got 'two'$/, 2);
  oneLineFailure(["run", model, "--ids", "[1]", "--ep", ","], /^motc: error MOT412: --ep needs at least one provider \(known: cuda, tensorrt, webgpu, dml, coreml, cpu\)$/, 2);
});
