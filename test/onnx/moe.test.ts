// moe in ONNX (src/onnx/moe.ts): logits against the float64 reference for both
// routings at batch 1, 3 and 5 (groups of 4 leave a group of 1), no token dropped
// at inference, each expert's work really restricted to its routed tokens, and the
// same logits from onnxruntime-web.
import assert from "node:assert/strict";
import { test } from "node:test";
import onnxProto from "onnx-proto";
import * as ortWeb from "onnxruntime-web";
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { MAX_OPSET, lowerToOnnx } from "../../src/onnx/index.js";
import { referenceLogits } from "../reference/forward.js";
import { moeSpecModel, oneExpertModel, strongMoe, withMoe, withoutExperts } from "../support/moe.js";
import { cpuSession, maxAbsDifference, randomIds, runLogits } from "./ort.js";

const TOLERANCE = 1e-4;
const LENGTH = 6;

async function checkAgainstReference(model: ModelIR, weights: Weights, batches: number[]): Promise<string[]> {
  const session = await cpuSession(lowerToOnnx(model, weights));
  const lines: string[] = [];
  for (const batch of batches) {
    const ids = randomIds(model.vocab, batch, LENGTH, 40 + batch);
    const logits = await runLogits(session, ids);
    const difference = maxAbsDifference(logits, referenceLogits(model, weights, ids));
    lines.push(`B=${batch}: max |ONNX − reference| = ${difference.toExponential(2)}`);
    assert.ok(difference <= TOLERANCE, `B=${batch}: max abs difference ${difference} > ${TOLERANCE}`);
    if (batch === 5) {
      // The comparison has power: other routings of the same weights give other logits.
      const otherTopk = withMoe(model, (l) => (l.routing === "token_choice" ? { topk: l.topk === 1 ? 2 : 1 } : {}));
      const otherGroup = withMoe(model, (l) => (l.routing === "expert_choice" ? { group: l.group! - 1 } : {}));
      for (const other of [otherTopk, otherGroup]) {
        const moved = maxAbsDifference(logits, referenceLogits(other, weights, ids));
        assert.ok(moved > 100 * TOLERANCE, `changing the routing moved the reference only by ${moved}`);
      }
    }
  }
  await session.release();
  return lines;
}

test("specs/moe.mot (token_choice top-2, expert_choice G=4): ONNX logits = reference at batch 1, 3, 5", async (t) => {
  const model = moeSpecModel();
  for (const line of await checkAgainstReference(model, strongMoe(model, 7), [1, 3, 5])) t.diagnostic(line);
});

test("top-1 relu token choice; expert choice G=3 taking k = 2 rows, which a leftover group of 1 caps at 1", async (t) => {
  const model = withMoe(moeSpecModel(), (l) => (l.routing === "token_choice" ? { topk: 1, activation: "relu" } : { group: 3, capacity: 2, activation: "gelu" }));
  const weights = strongMoe(model, 8);
  for (const line of await checkAgainstReference(model, weights, [1, 3, 4, 5])) t.diagnostic(line);
});

test("another runtime: onnxruntime-web (WebAssembly) runs the moe graph to the same reference logits", async () => {
  ortWeb.env.wasm.numThreads = 1; // the threaded build needs worker bootstrapping Node's import does not do
  const model = moeSpecModel();
  const weights = strongMoe(model, 9);
  const session = await ortWeb.InferenceSession.create(lowerToOnnx(model, weights), { executionProviders: ["wasm"] });
  for (const batch of [1, 5]) {
    const ids = randomIds(model.vocab, batch, LENGTH, 70 + batch);
    const feeds = { input_ids: new ortWeb.Tensor("int64", BigInt64Array.from(ids.flat().map(BigInt)), [batch, LENGTH]) };
    const logits = (await session.run(feeds)).logits.data as Float32Array;
    const difference = maxAbsDifference(logits, referenceLogits(model, weights, ids));
    assert.ok(difference <= TOLERANCE, `B=${batch}: onnxruntime-web differs from the reference by ${difference}`);
  }
  await session.release();
});

test(`opsets 18 and ${MAX_OPSET} (ReduceMax's axes as an input) give the opset-17 moe logits`, async () => {
  const model = moeSpecModel();
  const weights = strongMoe(model, 10);
  const ids = randomIds(model.vocab, 5, LENGTH, 10);
  const expected = await runLogits(await cpuSession(lowerToOnnx(model, weights)), ids);
  for (const opset of [18, MAX_OPSET]) {
    const logits = await runLogits(await cpuSession(lowerToOnnx(model, weights, { opset })), ids);
    assert.ok(maxAbsDifference(logits, expected) <= 1e-6, `opset ${opset}`);
  }
});

test("token choice drops no token at inference, even when every token picks the same expert", async () => {
  const { model, weights, limit } = oneExpertModel();
  const batch = 3;
  const ids = randomIds(model.vocab, batch, LENGTH, 5);
  const tokens = batch * LENGTH;
  const session = await cpuSession(lowerToOnnx(model, weights));
  const logits = await runLogits(session, ids);
  const silent = await runLogits(await cpuSession(lowerToOnnx(model, withoutExperts(model, weights))), ids);
  assert.ok(maxAbsDifference(logits, referenceLogits(model, weights, ids)) <= TOLERANCE);
  // Every token's logits moved by its expert-0 contribution, including the tokens a
  // training-time capacity of limit(N) would have dropped.
  const vocab = model.vocab;
  for (let n = 0; n < tokens; n++) {
    const moved = maxAbsDifference(logits.subarray(n * vocab, (n + 1) * vocab), silent.subarray(n * vocab, (n + 1) * vocab));
    assert.ok(moved > 0.05, `token ${n} lost its expert contribution (its logits moved by ${moved})`);
  }
  // The case is one where training would drop: the training reference leaves tokens ≥ limit unmoved.
  const training = referenceLogits(model, weights, ids, { training: true });
  assert.ok(limit(tokens) < tokens);
  assert.ok(maxAbsDifference(training.subarray(limit(tokens) * vocab), silent.subarray(limit(tokens) * vocab)) <= TOLERANCE);
});

test("sparse routing skips unchosen experts: NaN weights in experts no token picks leave the logits finite and exact", async () => {
  // Every token picks expert 0 (top-1). Computing all experts and masking would give NaN · 0 = NaN.
  const { model, weights } = oneExpertModel();
  const poisoned: Weights = new Map(weights);
  const w1 = Float32Array.from(weights.get("layers.0.moe.w1")!);
  w1.fill(Number.NaN, w1.length / 4); // experts 1, 2, 3 of [4, d, f]
  poisoned.set("layers.0.moe.w1", w1);
  const ids = randomIds(model.vocab, 2, LENGTH, 8);
  const logits = await runLogits(await cpuSession(lowerToOnnx(model, poisoned)), ids);
  assert.ok(logits.every(Number.isFinite), "an unchosen expert's NaN reached the logits");
  assert.ok(maxAbsDifference(logits, referenceLogits(model, weights, ids)) <= TOLERANCE);
});

test("sparse routing: each expert's matmuls read only its gathered rows, and the results are scattered back", () => {
  const model = moeSpecModel();
  const graph = onnxProto.onnx.ModelProto.decode(lowerToOnnx(model, strongMoe(model, 1))).graph!;
  const producer = new Map<string, onnxProto.onnx.INodeProto>();
  for (const node of graph.node!) for (const output of node.output!) producer.set(output, node);
  for (const layer of model.sublayers) {
    if (layer.kind !== "moe") continue;
    const prefix = `layers.${layer.index}.moe`;
    const inLayer = graph.node!.filter((node) => node.name!.startsWith(`${prefix}.expert`));
    // No MatMul takes the stacked [E, d, f] weights: each takes one expert's slice.
    for (const node of graph.node!) {
      if (node.opType === "MatMul") assert.ok(!node.input!.includes(`${prefix}.w1`) && !node.input!.includes(`${prefix}.w2`), `${node.name} multiplies all experts`);
    }
    const firstMatMuls = inLayer.filter((node) => node.opType === "MatMul" && producer.get(node.input![1])?.input?.[0] === `${prefix}.w1`);
    assert.equal(firstMatMuls.length, layer.experts);
    for (const matmul of firstMatMuls) {
      // Its tokens come from a Gather of the rows Compress selected.
      const gather = producer.get(matmul.input![0])!;
      assert.equal(gather.opType, "Gather");
      assert.equal(producer.get(gather.input![1])!.opType, "Compress");
    }
    const scatters = inLayer.filter((node) => node.opType === "ScatterND");
    assert.equal(scatters.length, layer.experts);
    for (const node of scatters) assert.equal(new TextDecoder().decode(node.attribute!.find((a) => a.name === "reduction")!.s!), "add");
  }
});
