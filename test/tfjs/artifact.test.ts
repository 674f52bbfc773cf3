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

test("a model.json that is not a motc artifact, or a broken one, is one clear error", async () => {
  const tf = await backend("cpu");
  const dir = mkdtempSync(join(tmpdir(), "motc-tfjs-bad-"));
  writeFileSync(join(dir, "model.json"), JSON.stringify({ format: "graph-model", weightsManifest: [] }));
  assert.throws(() => loadTfjsArtifact(tf, dir), { code: "MOT310", message: `${dir}: not a motc tfjs artifact (model.json has no motc topology)` });
  const missing = join(dir, "missing");
  assert.throws(() => loadTfjsArtifact(tf, missing), { code: "MOT201", message: `cannot read ${join(missing, "model.json")}: no such file or directory` });
  writeFileSync(join(dir, "model.json"), "{ not json");
  assert.throws(() => loadTfjsArtifact(tf, dir), { code: "MOT313", message: `${join(dir, "model.json")}: not valid JSON` });

  // A real artifact, then broken one way at a time.
  const out = mkdtempSync(join(tmpdir(), "motc-tfjs-broken-"));
  assert.equal(runMotc(["compile", "specs/tiny.mot", "--target", "tfjs", "--out", out]).code, 0);
  const artifact = join(out, "tiny.tfjs");
  const json = JSON.parse(readFileSync(join(artifact, "model.json"), "utf8"));
  writeFileSync(join(artifact, "model.json"), JSON.stringify({ ...json, modelTopology: { ...json.modelTopology, model: "nope" } }));
  assert.throws(() => loadTfjsArtifact(tf, artifact), { code: "MOT311", message: `${artifact}: its spec does not define a clean model 'nope'` });
  const [group] = json.weightsManifest;
  writeFileSync(join(artifact, "model.json"), JSON.stringify({ ...json, weightsManifest: [{ ...group, weights: group.weights.slice(0, -1) }] }));
  const last = group.weights.at(-1).name;
  assert.throws(() => loadTfjsArtifact(tf, artifact), { code: "MOT312", message: `${artifact}: the artifact has no weights for '${last}'` });
});

test("--target tfjs refuses ONNX-only flags as a usage error", () => {
  const result = runMotc(["compile", "specs/tiny.mot", "--target", "tfjs", "--kv-cache", "--out", tmpdir()]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "motc: error MOT223: --kv-cache applies to --target onnx only\n");
  const two = runMotc(["compile", "specs/tiny.mot", "--target", "tfjs", "--fp16", "--no-mix", "--out", tmpdir()]);
  assert.equal(two.code, 2);
  assert.equal(two.stderr, "motc: error MOT223: --fp16, --no-mix applies to --target onnx only\n");
});
