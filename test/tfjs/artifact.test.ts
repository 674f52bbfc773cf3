// `motc compile --target tfjs`: the artifact a user loads back into TensorFlow.js
// holds every parameter under its SEMANTICS.md name and rebuilds a graph whose
// logits equal those of the graph it was written from.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import { parameterTable } from "../../src/ir/params.js";
import { loadTfjsArtifact } from "../../src/tfjs/artifact.js";
import { createTrainingGraph } from "../../src/tfjs/index.js";
import { repoRoot, runMotc } from "../support/cli.js";
import { backend } from "./support.js";

test("compile --target tfjs round-trips weights and logits through the artifact", async () => {
  const tf = await backend("cpu");
  const out = mkdtempSync(join(tmpdir(), "motc-tfjs-"));
  const result = runMotc(["compile", "specs/tiny.mot", "--target", "tfjs", "--seed", "3", "--out", out]);
  assert.equal(result.code, 0, result.stderr);

  const manifest = JSON.parse(readFileSync(join(out, "tiny.tfjs", "model.json"), "utf8"));
  const text = readFileSync(join(repoRoot, "specs/tiny.mot"), "utf8");
  const model = checkSpec({ path: "specs/tiny.mot", text }).models[0];
  assert.deepEqual(
    manifest.weightsManifest[0].weights.map((w: { name: string; shape: number[] }) => [w.name, w.shape]),
    parameterTable(model).map((p) => [p.name, p.shape]),
  );

  const loaded = loadTfjsArtifact(tf, join(out, "tiny.tfjs"));
  const expected = initialWeights(model, 3);
  for (const [name, values] of loaded.graph.readWeights()) assert.deepEqual(values, expected.get(name), name);
  const ids = tf.tensor2d([[1, 50, 99, 200, 7], [3, 3, 3, 3, 3], [255, 0, 128, 64, 32]], undefined, "int32");
  const fromArtifact = loaded.graph.logits(ids).dataSync();
  loaded.graph.dispose();
  const direct = createTrainingGraph(tf, model, expected);
  assert.deepEqual(fromArtifact, direct.logits(ids).dataSync());
  direct.dispose();
});

test("a model.json that is not a motc artifact is one clear error", async () => {
  const tf = await backend("cpu");
  const dir = mkdtempSync(join(tmpdir(), "motc-tfjs-bad-"));
  writeFileSync(join(dir, "model.json"), JSON.stringify({ format: "graph-model", weightsManifest: [] }));
  assert.throws(() => loadTfjsArtifact(tf, dir), /not a motc tfjs artifact/);
  assert.throws(() => loadTfjsArtifact(tf, join(dir, "missing")), /no such file or directory/);
});

test("--target tfjs refuses ONNX-only flags as a usage error", () => {
  const result = runMotc(["compile", "specs/tiny.mot", "--target", "tfjs", "--kv-cache", "--out", tmpdir()]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--kv-cache applies to --target onnx only/);
});
