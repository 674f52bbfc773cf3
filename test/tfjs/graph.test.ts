// The TrainingGraph object: variables by parameter name, weights in and out,
// names freed by dispose(), dropout only in training and seeded by step.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parameterTable } from "../../src/ir/params.js";
import { createTrainingGraph } from "../../src/tfjs/index.js";
import { backend, gradientModels, randomIds, strongWeights } from "./support.js";

const tf = await backend("cpu");
const model = gradientModels()[0];
const ids = randomIds(model.vocab, 5, 4, 1);
const targets = randomIds(model.vocab, 5, 4, 2);

test("variables carry the parameter table's names, shapes and values; dispose frees the names", () => {
  const weights = strongWeights(model, 1);
  const before = tf.memory().numTensors;
  const graph = createTrainingGraph(tf, model, weights);
  // One tensor per parameter: the initial values are not kept alive beside the variables.
  assert.equal(tf.memory().numTensors - before, parameterTable(model).length);
  assert.deepEqual([...graph.variables.keys()], parameterTable(model).map((p) => p.name));
  for (const spec of parameterTable(model)) {
    const variable = graph.variables.get(spec.name)!;
    assert.equal(variable.name, spec.name);
    assert.deepEqual(variable.shape, spec.shape);
    assert.ok(variable.trainable);
  }
  assert.throws(() => createTrainingGraph(tf, model, weights), /already exists: dispose\(\) the previous training graph first/);
  graph.dispose();
  assert.equal(tf.memory().numTensors, before);
  createTrainingGraph(tf, model, weights).dispose(); // the names are free again
});

test("writeWeights replaces every variable: logits follow the new weights", () => {
  const logitsOf = (graph: ReturnType<typeof createTrainingGraph>) =>
    tf.tidy(() => Array.from(graph.logits(tf.tensor2d(ids, [5, 4], "int32")).dataSync()));
  const other = createTrainingGraph(tf, model, strongWeights(model, 2));
  const expected = logitsOf(other);
  other.dispose();
  const graph = createTrainingGraph(tf, model, strongWeights(model, 1));
  assert.notDeepEqual(logitsOf(graph), expected);
  graph.writeWeights(strongWeights(model, 2));
  assert.deepEqual(logitsOf(graph), expected);
  assert.deepEqual(graph.readWeights(), strongWeights(model, 2));
  assert.throws(() => graph.writeWeights(new Map()), /no weights for parameter 'embed.token'/);
  graph.dispose();
});

test("dropout: none at inference, the same masks for the same step, other masks for another", () => {
  const dropped = { ...model, dropout: 0.2 };
  const plain = createTrainingGraph(tf, model, strongWeights(model, 1));
  const lossOf = (graph: ReturnType<typeof createTrainingGraph>) =>
    tf.tidy(() => graph.loss(tf.tensor2d(ids, [5, 4], "int32"), tf.tensor2d(targets, [5, 4], "int32")).dataSync()[0]);
  const logitsOf = (graph: ReturnType<typeof createTrainingGraph>) =>
    tf.tidy(() => Array.from(graph.logits(tf.tensor2d(ids, [5, 4], "int32")).dataSync()));
  const plainLoss = lossOf(plain);
  const plainLogits = logitsOf(plain);
  plain.dispose();
  const graph = createTrainingGraph(tf, dropped, strongWeights(model, 1), { seed: 4 });
  assert.deepEqual(logitsOf(graph), plainLogits); // logits(ids) defaults to inference
  graph.step = 7;
  const first = lossOf(graph);
  assert.notEqual(first, plainLoss);
  assert.equal(lossOf(graph), first);
  graph.step = 8;
  assert.notEqual(lossOf(graph), first);
  graph.dispose();
});

test("a sequence longer than the context is refused", () => {
  const graph = createTrainingGraph(tf, model, strongWeights(model, 1));
  const long = randomIds(model.vocab, 1, model.context + 1, 3);
  assert.throws(() => tf.tidy(() => graph.logits(tf.tensor2d(long, [1, model.context + 1], "int32"))), /exceeds the model's context 6/);
  graph.dispose();
});
