// Transition tuning (src/ir/transition.ts, src/review/spec-text.ts): a trained MoT
// model's token-choice twin keeps every weight under its new name (the router is
// the controller divided by τ), computes what "each token goes to its top-K
// experts by router softmax" says — ONNX logits against the float64 reference of
// a moe model assembled here by hand from the original weights — and is written
// as a spec that checks back to the same model and is canonical.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights, type Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import type { MixtureOfExpertsLayer } from "../../src/ir/layers/moe.js";
import { parameterTable } from "../../src/ir/params.js";
import { checkTransition, transitionModel } from "../../src/ir/transition.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { modelSpecText } from "../../src/review/spec-text.js";
import { formatSpec } from "../../src/syntax/format.js";
import { cpuSession, maxAbsDifference, randomIds, runLogits, strongRouting } from "../onnx/ort.js";
import { referenceLogits } from "../reference/forward.js";
import { smallRecipe } from "../train/fixture.js";

/** Two blocks; a learned-τ MoT (group 4) and a fixed-τ one (group 3, gelu), 8 and 6 experts. */
function motModel(): ModelIR {
  return {
    name: "twoblock",
    vocab: 40, context: 8, dModel: 16, dFF: 64, norm: "layernorm", normEps: 1e-5, dropout: 0, init: { kind: "normal", std: 0.02 }, position: "learned",
    sublayers: [
      { kind: "attention", init: { kind: "normal", std: 0.02 }, index: 0, heads: 2, headDim: 8, causal: true, bias: false },
      { kind: "mot", init: { kind: "fan_in", scale: 1 }, index: 1, experts: 8, group: 4, expertSize: 32, temp: { kind: "learnable", init: 1 }, activation: "relu" },
      { kind: "attention", init: { kind: "normal", std: 0.02 }, index: 2, heads: 2, headDim: 8, causal: true, bias: false },
      { kind: "mot", init: { kind: "fan_in", scale: 1 }, index: 3, experts: 6, group: 3, expertSize: 20, temp: { kind: "fixed", value: 2.5 }, activation: "gelu" },
    ],
    tiedHead: true,
    recipe: { ...smallRecipe({ context: 8 }), temp: { kind: "anneal", final: 0.1, start: 6 } },
  };
}

/** Initial weights with routing that matters and a learned τ of 0.6. */
function trainedWeights(model: ModelIR): Weights {
  const weights = strongRouting(model, initialWeights(model, 5));
  weights.set("layers.1.mot.log_temp", Float32Array.of(Math.log(0.6)));
  return weights;
}

/** The moe model the transition should produce, written out here by hand. */
function expectedTwin(model: ModelIR, topk: number): ModelIR {
  const moe = (index: number, experts: number, expertSize: number, activation: "relu" | "gelu"): MixtureOfExpertsLayer =>
    ({ kind: "moe", init: { kind: "fan_in", scale: 1 }, index, experts, routing: "token_choice", topk, capacity: 1.25, expertSize, activation, auxLoss: 0.01 });
  return { ...model, name: "twoblock_tc", sublayers: [model.sublayers[0], moe(1, 8, 32, "relu"), model.sublayers[2], moe(3, 6, 20, "gelu")] };
}

/** The original weights renamed by hand, router = controller / τ in float64 before rounding. */
function expectedWeights(weights: Weights): Weights {
  const out: Weights = new Map();
  const taus = new Map([[1, 0.6], [3, 2.5]]);
  for (const [name, values] of weights) {
    const m = /^layers\.(\d)\.mot\.(\w+)$/.exec(name);
    if (!m) out.set(name, values);
    else if (m[2] === "controller") out.set(`layers.${m[1]}.moe.router`, Float32Array.from(values, (v) => v / taus.get(Number(m[1]))!));
    else if (m[2] !== "log_temp") out.set(`layers.${m[1]}.moe.${m[2]}`, values);
  }
  return out;
}

test("every parameter keeps its values under the new names; router = controller / τ; log_temp is gone", () => {
  const model = motModel();
  const weights = trainedWeights(model);
  const twin = transitionModel(model, weights);
  assert.deepEqual([...twin.weights.keys()].sort(), parameterTable(twin.model).map((p) => p.name).sort());
  for (const [name, values] of weights) {
    const moved = name.replace(".mot.", ".moe.").replace(".controller", ".router");
    if (name.endsWith("log_temp")) {
      assert.equal(twin.weights.has(moved), false);
    } else if (name.endsWith("controller")) {
      const tau = name.startsWith("layers.1.") ? 0.6 : 2.5;
      const router = twin.weights.get(moved)!;
      assert.equal(router.length, values.length);
      values.forEach((v, i) => assert.ok(Math.abs(router[i] - v / tau) <= 1e-6 * Math.abs(v / tau) + 1e-12, `${moved}[${i}]`));
    } else {
      assert.deepEqual(twin.weights.get(moved), values, name);
    }
  }
  assert.deepEqual(twin.folded.map((f) => [f.index, Number(f.temperature.toFixed(6))]), [[1, 0.6], [3, 2.5]]);
  assert.equal(twin.model.recipe?.temp, undefined, "the MoT temperature schedule is dropped");
  assert.deepEqual(twin.model.sublayers, expectedTwin(model, 1).sublayers);
});

test("a model without a mot layer, or topk above a layer's experts, has no twin (checked before any weight is read)", () => {
  const model = motModel();
  const dense: ModelIR = { ...model, sublayers: model.sublayers.filter((l) => l.kind !== "mot") };
  assert.throws(() => checkTransition(dense), { code: "MOT550", message: "model 'twoblock' has no mot layer to turn into moe" });
  assert.throws(() => transitionModel(dense, new Map()), { code: "MOT550" });
  // 6 experts in layers.3, the fewest: topk 6 is allowed, 7 is not.
  assert.doesNotThrow(() => checkTransition(model, { topk: 6 }));
  assert.throws(() => transitionModel(model, trainedWeights(model), { topk: 7 }), { code: "MOT551", message: "--topk 7 exceeds the 6 experts of a mot layer of 'twoblock'" });
});

test("ONNX logits of the twin = float64 reference of top-K token choice by router softmax (K = 1, 2; B = 1, 5)", async (t) => {
  const model = motModel();
  const weights = trainedWeights(model);
  for (const topk of [1, 2]) {
    const twin = transitionModel(model, weights, { topk });
    const session = await cpuSession(lowerToOnnx(twin.model, twin.weights));
    const reference = expectedTwin(model, topk);
    const referenceWeights = expectedWeights(weights);
    for (const batch of [1, 5]) {
      const ids = randomIds(model.vocab, batch, model.context, 90 + batch + topk);
      const logits = await runLogits(session, ids);
      const difference = maxAbsDifference(logits, referenceLogits(reference, referenceWeights, ids));
      t.diagnostic(`top-${topk}, B=${batch}: max |ONNX − reference| = ${difference.toExponential(2)}`);
      assert.ok(difference <= 1e-4, `top-${topk} B=${batch}: ${difference}`);
      // Power: the MoT original, and the router without τ folded in, give other logits.
      assert.ok(maxAbsDifference(logits, referenceLogits(model, weights, ids)) > 1e-2, "the twin computes what the MoT model computed");
      const unfolded = new Map(referenceWeights);
      for (const i of [1, 3]) unfolded.set(`layers.${i}.moe.router`, weights.get(`layers.${i}.mot.controller`)!);
      assert.ok(maxAbsDifference(logits, referenceLogits(reference, unfolded, ids)) > 1e-3, "folding τ made no difference");
    }
    await session.release();
  }
});

test("the twin's spec checks back to the same model, recipe included, and is canonical", () => {
  const twin = transitionModel(motModel(), trainedWeights(motModel()), { topk: 2, capacity: 2 });
  const text = modelSpecText(twin.model, ["a header line"]);
  assert.match(text, /^# a header line\nversion 1\n\nmodel twoblock_tc \{\n/);
  assert.match(text, /moe\(experts = 8, routing = token_choice, topk = 2, capacity = 2, expert_size = 32, activation = relu, aux_loss = 0\.01, init = fan_in\(scale = 1\)\)/);
  const checked = checkSpec({ path: "twin.mot", text });
  assert.deepEqual(checked.diagnostics, []);
  assert.equal(checked.models.length, 1);
  assert.deepEqual(checked.models[0], twin.model);
  assert.equal(formatSpec({ path: "twin.mot", text }).text, text);
});

test("a glu layer beside the MoT passes through the transition unchanged, weights and all", () => {
  const base = motModel();
  const glu = { kind: "glu" as const, init: { kind: "normal" as const, std: 0.02 }, index: 2, size: 24, activation: "silu" as const };
  const model: ModelIR = { ...base, sublayers: [base.sublayers[0], base.sublayers[1], glu, base.sublayers[3]] };
  const weights = trainedWeights(model);
  const { model: twin, weights: twinWeights } = transitionModel(model, weights, { topk: 2 });
  assert.deepEqual(twin.sublayers[2], glu);
  assert.deepEqual(twin.sublayers.map((l) => l.kind), ["attention", "moe", "glu", "moe"]);
  for (const name of ["layers.2.glu.w_gate", "layers.2.glu.w_up", "layers.2.glu.w_down", "layers.2.norm.scale"]) {
    assert.equal(twinWeights.get(name), weights.get(name), name);
  }
  const text = modelSpecText(twin, ["with a glu"]);
  const checked = checkSpec({ path: "twin.mot", text });
  assert.deepEqual(checked.diagnostics, []);
  assert.deepEqual(checked.models[0].sublayers[2], glu);
});
