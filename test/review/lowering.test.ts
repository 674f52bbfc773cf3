// The parameters explain reports are the parameters the lowerings create: the
// ONNX file's initializers (decoded from the bytes) and the tfjs variables
// have the same names, shapes and total count, for every spec model the
// lowerings support.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import onnxProto from "onnx-proto";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { allParts, describeModel } from "../../src/review/describe.js";
import { createTrainingGraph } from "../../src/tfjs/index.js";
import { repoRoot } from "../support/cli.js";

before(async () => {
  await import("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend("cpu");
});

// The paper models are left out only for time: their parameters are derived by hand in explain.test.ts.
const specs = ["specs/tiny.mot", "specs/mot.mot", "specs/ff.mot", "specs/attention.mot", "specs/moe.mot"];

for (const path of specs) {
  const result = checkSpec({ path, text: readFileSync(join(repoRoot, path), "utf8") });
  for (const model of result.models) {
    test(`${path} ${model.name}: explain's parameters = ONNX initializers = tfjs variables`, () => {
      const description = describeModel(model);
      const expected = allParts(description).flatMap((part) => part.params.map((p) => [p.name, p.shape] as const));
      const weights = initialWeights(model, 0);

      const decoded = onnxProto.onnx.ModelProto.decode(lowerToOnnx(model, weights));
      const initializers = (decoded.graph?.initializer ?? []).map((i) => [i.name ?? "", (i.dims ?? []).map(Number)] as const);
      assert.deepEqual(new Map(initializers), new Map(expected.map(([n, s]) => [n, [...s]])));
      const onnxCount = initializers.reduce((sum, [, dims]) => sum + dims.reduce((a, b) => a * b, 1), 0);
      assert.equal(onnxCount, description.totals.params);

      const graph = createTrainingGraph(tf, model, weights);
      try {
        const variables = [...graph.variables].map(([name, v]) => [name, v.shape] as const);
        assert.deepEqual(new Map(variables), new Map(expected.map(([n, s]) => [n, [...s]])));
        assert.equal([...graph.variables.values()].reduce((sum, v) => sum + v.size, 0), description.totals.params);
      } finally {
        graph.dispose();
      }
    });
  }
}
