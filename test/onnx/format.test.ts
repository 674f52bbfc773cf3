// The file itself: byte-identical output, the ONNX checker with full shape
// inference, external data at page-aligned offsets, float16 weights, newer opsets.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import onnxProto from "onnx-proto";
import { writeFilesAtomic } from "../../src/base/files.js";
import { initialWeights } from "../../src/ir/init.js";
import { parameterTable, paramCount } from "../../src/ir/params.js";
import { toFloat16 } from "../../src/onnx/float16.js";
import { MAX_OPSET, lowerToOnnx, lowerToOnnxFiles } from "../../src/onnx/index.js";
import { EXTERNAL_ALIGNMENT } from "../../src/onnx/writer.js";
import { referenceLogits } from "../reference/forward.js";
import { python, requireChecker } from "../support/checkers.js";
import { distinctModels, specModels } from "./models.js";
import { cpuSession, maxAbsDifference, randomIds, runLogits, strongRouting } from "./ort.js";

const { onnx } = onnxProto;
const scratch = mkdtempSync(join(tmpdir(), "motc-onnx-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const models = specModels();
const small = models.filter(({ model }) => model.vocab * model.dModel <= 1e6);
const isDecoder = (model: (typeof models)[number]["model"]) =>
  model.sublayers.some((l) => l.kind === "attention") && model.sublayers.every((l) => l.kind !== "attention" || l.causal);
const named = (name: string) => {
  const found = small.find(({ model }) => model.name === name);
  assert.ok(found, `no model named ${name} among the test models`);
  return found.model;
};

test("the same model, seed and weights give a byte-identical file", () => {
  for (const { label, model } of small) {
    const first = lowerToOnnx(model, initialWeights(model, 4), { specText: "spec", kvCache: isDecoder(model) });
    const second = lowerToOnnx(model, initialWeights(model, 4), { specText: "spec", kvCache: isDecoder(model) });
    assert.ok(Buffer.from(first).equals(Buffer.from(second)), `${label}: two compilations differ`);
    const otherSeed = lowerToOnnx(model, initialWeights(model, 5), { specText: "spec", kvCache: isDecoder(model) });
    assert.ok(!Buffer.from(first).equals(Buffer.from(otherSeed)), `${label}: the seed does not reach the file`);
  }
});

test("initializers carry the parameter table's names, shapes and values; metadata describes the model", () => {
  const model = named("tiny");
  const weights = initialWeights(model, 1);
  const decoded = onnx.ModelProto.decode(lowerToOnnx(model, weights, { kvCache: true, specText: "model tiny {}" }));
  assert.equal(Number(decoded.irVersion), 8);
  assert.deepEqual(decoded.opsetImport!.map((o) => [o.domain, Number(o.version)]), [["", 17]]);
  const initializers = decoded.graph!.initializer!;
  assert.deepEqual(initializers.map((t) => t.name), parameterTable(model).map((p) => p.name));
  for (const [i, spec] of parameterTable(model).entries()) {
    assert.deepEqual(initializers[i].dims!.map(Number), spec.shape, spec.name);
    const raw = initializers[i].rawData!;
    assert.deepEqual(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), weights.get(spec.name), spec.name);
  }
  const metadata = Object.fromEntries(decoded.metadataProps!.map((p) => [p.key, p.value]));
  assert.equal(metadata["motc.model"], "tiny");
  assert.equal(metadata["motc.spec"], "model tiny {}");
  assert.equal(metadata["motc.tokenizer"], "bytes");
  assert.equal(metadata["motc.kv_cache"], "true");
  assert.equal(metadata["motc.attention_layers"], "2");
  assert.equal(metadata["motc.heads"], "4,4");
  assert.equal(metadata["motc.head_dim"], "16,16");
  assert.deepEqual(decoded.graph!.input!.map((i) => i.name), ["input_ids", "past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value"]);
  assert.deepEqual(decoded.graph!.output!.map((o) => o.name), ["logits", "present.0.key", "present.0.value", "present.1.key", "present.1.value"]);
  assert.ok(decoded.graph!.node!.every((n) => !n.domain), "only the default ONNX domain");
});

test("the ONNX checker accepts every model with full shape inference (python3-onnx)", (t) => {
  if (!requireChecker(t, "python3-onnx")) return;
  const paths: string[] = [];
  for (const { model, sameAs } of distinctModels(models)) {
    if (sameAs) continue;
    // The checker reads shapes and types, not values: zeros spare seconds of seeded init on the paper model.
    const weights = new Map(parameterTable(model).map((p) => [p.name, new Float32Array(paramCount(p.shape))]));
    const variants = model.vocab * model.dModel > 1e6 ? [{}] : [{}, { fp16: true }, ...(isDecoder(model) ? [{ kvCache: true }] : [])];
    variants.forEach((options, i) => {
      const path = join(scratch, `${model.name}.${i}.onnx`);
      writeFileSync(path, lowerToOnnx(model, weights, options));
      paths.push(path);
    });
  }
  const script = [
    "import sys, onnx",
    "for path in sys.argv[1:]:",
    "    onnx.checker.check_model(onnx.load(path), full_check=True)",
    "    print('ok', path)",
  ].join("\n");
  const result = spawnSync(python, ["-c", script, ...paths], { encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split("\n").length, paths.length);
  t.diagnostic(`${paths.length} files checked`);
});

test("external data: large tensors at page-aligned offsets, same logits as the inline file", async () => {
  const model = named("tiny");
  const weights = initialWeights(model, 2);
  const files = lowerToOnnxFiles(model, weights, { externalData: true, externalLocation: "tiny.onnx.data" });
  assert.ok(files.external);
  const path = join(scratch, "tiny.onnx");
  writeFilesAtomic([{ path: join(scratch, "tiny.onnx.data"), chunks: files.external.chunks }, { path, chunks: files.model }]);

  const decoded = onnx.ModelProto.decode(readFileSync(path));
  const external = decoded.graph!.initializer!.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  assert.ok(external.length >= 4, "the matrices are stored externally");
  let end = 0;
  for (const tensor of external) {
    const entry = Object.fromEntries(tensor.externalData!.map((e) => [e.key, e.value]));
    assert.equal(entry.location, "tiny.onnx.data");
    assert.equal(Number(entry.offset) % EXTERNAL_ALIGNMENT, 0, `${tensor.name} at offset ${entry.offset}`);
    end = Math.max(end, Number(entry.offset) + Number(entry.length));
  }
  assert.equal(statSync(join(scratch, "tiny.onnx.data")).size, end);

  const ids = randomIds(model.vocab, 3, 6, 1);
  const fromFile = await cpuSession(path);
  const inline = await cpuSession(lowerToOnnx(model, weights));
  assert.deepEqual(await runLogits(fromFile, ids), await runLogits(inline, ids));
  await Promise.all([fromFile.release(), inline.release()]);
});

test("float16 conversion rounds to nearest even, with subnormals, overflow and NaN", () => {
  // Expected bits from numpy's float32 → float16 cast.
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [1 / 3, 0x3555],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [0.1, 0x2e66], [1e-8, 0],
    [NaN, 0x7e00], [Infinity, 0x7c00], [-0, 0x8000], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [6.1e-5, 0x03ff],
  ];
  const half = toFloat16(Float32Array.from(cases.map(([value]) => value)));
  cases.forEach(([value, bits], i) => assert.equal(half[i], bits, `${value} → 0x${half[i].toString(16)}, expected 0x${bits.toString(16)}`));
});

test("--fp16 stores float16 weights at half the size and stays close to the float32 reference", async (t) => {
  const model = named("mot_layers");
  const weights = strongRouting(model, initialWeights(model, 6));
  const full = lowerToOnnx(model, weights);
  const half = lowerToOnnx(model, weights, { fp16: true });
  const decoded = onnx.ModelProto.decode(half);
  assert.ok(decoded.graph!.initializer!.every((i) => i.dataType === onnx.TensorProto.DataType.FLOAT16));
  assert.ok(half.byteLength < 0.6 * full.byteLength, `${half.byteLength} vs ${full.byteLength} bytes`);
  const ids = randomIds(model.vocab, 5, 8, 3);
  const session = await cpuSession(half);
  const difference = maxAbsDifference(await runLogits(session, ids), referenceLogits(model, weights, ids));
  t.diagnostic(`max |fp16 ONNX − float64 reference| = ${difference.toExponential(2)}`);
  assert.ok(difference < 5e-3, `float16 weights moved the logits by ${difference}`);
  await session.release();
});

test(`opsets after 17 (ReduceMean's axes as an input) give the opset-17 logits, up to ${MAX_OPSET}`, async () => {
  const model = named("sinusoidal_decoder");
  const weights = strongRouting(model, initialWeights(model, 8));
  const ids = randomIds(model.vocab, 4, 7, 4);
  const base = await cpuSession(lowerToOnnx(model, weights));
  const expected = await runLogits(base, ids);
  for (const opset of [18, MAX_OPSET]) {
    const bytes = lowerToOnnx(model, weights, { opset });
    assert.equal(Number(onnx.ModelProto.decode(bytes).opsetImport![0].version), opset);
    const session = await cpuSession(bytes);
    assert.ok(maxAbsDifference(await runLogits(session, ids), expected) <= 1e-6, `opset ${opset}`);
    await session.release();
  }
  await base.release();
});
