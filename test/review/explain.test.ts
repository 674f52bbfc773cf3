// explain on hand-made checked models: every count and FLOP figure against a
// derivation from SEMANTICS.md written out here, the text layout and the JSON schema.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeModel, paramsByRole, type ModelDescription } from "../../src/review/describe.js";
import { EXPLAIN_SCHEMA, explainJson, explainText } from "../../src/review/explain.js";
import { densePaper, everyKind, motPaper } from "./models.js";

const d = 256, T = 256, vocab = 50257;
const layernorm = 2 * d; // scale + bias

test("paper MoT model: parameters per part equal SEMANTICS.md's shapes", () => {
  const m = describeModel(motPaper);
  // embed.token [vocab, d] + embed.position [context, d]
  assert.equal(m.embed.paramCount, vocab * d + T * d); // 12,865,792 + 65,536
  assert.equal(m.embed.paramCount, 12_931_328);
  // attention: norm + wq, wk, wv, wo [d, d], no biases
  assert.equal(m.sublayers[0].paramCount, layernorm + 4 * d * d);
  assert.equal(m.sublayers[0].paramCount, 262_656);
  // mot: norm + controller [d, E] + w1 [E, d, f] + w2 [E, f, d] + log_temp (scalar)
  const E = 512, f = 64;
  assert.equal(2 * E * d * f, 16_777_216);
  assert.equal(m.sublayers[1].paramCount, layernorm + d * E + 2 * E * d * f + 1);
  assert.equal(m.sublayers[1].paramCount, 16_908_801);
  // head: final norm only (tied to embed.token)
  assert.equal(m.head.paramCount, layernorm);
  assert.equal(m.totals.params, 12_931_328 + 4 * (262_656 + 16_908_801) + 512);
  assert.equal(m.totals.params, 81_617_668);
  assert.deepEqual(
    m.sublayers[1].params.map((p) => [p.name, p.shape, p.count]),
    [
      ["layers.1.norm.scale", [256], 256],
      ["layers.1.norm.bias", [256], 256],
      ["layers.1.mot.controller", [256, 512], 131_072],
      ["layers.1.mot.w1", [512, 256, 64], 8_388_608],
      ["layers.1.mot.w2", [512, 64, 256], 8_388_608],
      ["layers.1.mot.log_temp", [], 1],
    ],
  );
});

test("paper MoT model: FLOPs per token equal SEMANTICS.md's formulas", () => {
  const m = describeModel(motPaper);
  const E = 512, f = 64, G = 32;
  // attention: 4 projections 2·d² each, plus q·kᵀ and p·v at the full context, 2·T·d each
  assert.equal(m.sublayers[0].flopsPerToken, 2 * 4 * d * d + 4 * T * d);
  // mot: experts 2·E·f·2d / G, routing 6·d·E
  assert.equal(m.sublayers[1].flopsPerToken, (2 * E * f * 2 * d) / G + 6 * d * E);
  assert.equal(m.sublayers[1].flopsPerToken, 1_048_576 + 786_432);
  // head: logits h @ Eᵀ
  assert.equal(m.head.flopsPerToken, 2 * d * vocab);
  assert.equal(m.totals.flopsPerToken, 4 * (786_432 + 1_835_008) + 25_731_584);
});

test("dense twin: ff parameters and FLOPs, and the 32× FFN parameter ratio", () => {
  const dense = describeModel(densePaper);
  const s = 1024;
  // ff: norm + w1 [d, s] + b1 [s] + w2 [s, d] + b2 [d]
  assert.equal(dense.sublayers[1].paramCount, layernorm + 2 * d * s + s + d);
  assert.equal(dense.sublayers[1].paramCount - layernorm, 525_568);
  assert.equal(dense.sublayers[1].flopsPerToken, 2 * 2 * d * s);
  const ffn = (m: ModelDescription) => paramsByRole(m).ffn;
  assert.equal(ffn(describeModel(motPaper)), 4 * (16_777_216 + 131_072 + 1));
  assert.equal(ffn(dense), 4 * 525_568);
  assert.equal(Math.round(ffn(describeModel(motPaper)) / ffn(dense)), 32);
});

test("every layer kind: rmsnorm, biased attention, gelu ff, fixed-temp mot, both moe routings, untied head", () => {
  const m = describeModel(everyKind);
  const dm = 32, rms = dm, T16 = 16;
  const [attention, ff, mot, tokenChoice, expertChoice] = m.sublayers;
  assert.equal(m.embed.paramCount, 64 * dm); // sinusoidal positions are a fixed table, no parameter
  assert.equal(attention.paramCount, rms + 4 * dm * dm + 4 * dm);
  assert.equal(attention.flopsPerToken, 8 * dm * dm + 4 * T16 * dm);
  assert.equal(ff.paramCount, rms + dm * 48 + 48 + 48 * dm + dm);
  assert.equal(ff.flopsPerToken, 4 * dm * 48);
  // mot E=8, G=4, f=32, fixed temp: no log_temp
  assert.equal(mot.paramCount, rms + dm * 8 + 2 * 8 * dm * 32);
  assert.equal(mot.flopsPerToken, (2 * 8 * 32 * 2 * dm) / 4 + 6 * dm * 8);
  // moe token choice E=4, top-2, f=64: router 2·d·E + 2 experts of 2·2·d·f
  assert.equal(tokenChoice.paramCount, rms + dm * 4 + 2 * 4 * dm * 64);
  assert.equal(tokenChoice.flopsPerToken, 2 * dm * 4 + 2 * (4 * dm * 64));
  assert.equal(tokenChoice.activeParamsPerToken, rms + dm * 4 + 2 * (2 * dm * 64));
  // moe expert choice E=4, G=8, capacity 2: each expert takes ceil(2·8/4) = 4 of 8 rows → 2 experts per token
  assert.equal(expertChoice.flopsPerToken, 2 * dm * 4 + (4 * 4 * (4 * dm * 32)) / 8);
  assert.equal(expertChoice.activeParamsPerToken, rms + dm * 4 + 2 * (2 * dm * 32));
  assert.equal(m.head.paramCount, rms + dm * 64);
  assert.equal(m.head.flopsPerToken, 2 * dm * 64);
  // Active parameters: one embedding row, everything else but the unused moe experts, the whole unembedding.
  assert.equal(m.totals.activeParamsPerToken, dm + attention.paramCount + ff.paramCount + mot.paramCount
    + tokenChoice.activeParamsPerToken + expertChoice.activeParamsPerToken + m.head.paramCount);
});

test("explain text spells out every default and numbers the sublayers", () => {
  const text = explainText([describeModel(motPaper), describeModel(densePaper)]);
  for (let i = 0; i < 8; i += 2) assert.match(text, new RegExp(`\\n  layers\\.${i} attention\\(heads = 4, causal = true, bias = false, init = normal\\(std = 0\\.02\\)\\)\\n +#  \\[B, T, 256\\] +262,656 +262,656 +786,432\\n`));
  assert.match(text, /\n  layers\.1 mot\(experts = 512, group = 32, expert_size = 64, temp = learnable\(init = 1\), activation = relu, init = fan_in\(scale = 1\)\)\n +#  \[B, T, 256\] +16,908,801 +16,908,801 +1,835,008\n/);
  assert.match(text, /\n  layers\.7 ff\(size = 1024, activation = relu, init = normal\(std = 0\.02\)\)\n +#  \[B, T, 256\] +526,080/);
  assert.match(text, /\n  norm_eps = 1e-5\n  dropout  = 0\n  init     = normal\(std = 0\.02\)\n/);
  assert.match(text, /\n  embed\(position = learned\) +#  \[B, T, 256\] +12,931,328/);
  assert.match(text, /\n    #  layers\.1\.mot\.w1 +\[512, 256, 64\] +8,388,608\n/);
  assert.match(text, /\n +#  total +81,617,668 /);
  assert.match(text, /model dense_paper \{  # extends mot_paper \(applied\)/);
  assert.match(text, /\n  optimizer        = adamw\(beta1 = 0\.9, beta2 = 0\.95, eps = 1e-8, weight_decay = 0\.1\)\n/);
  assert.match(text, /\n  warmup           = 2500 +# steps \(1% of steps\)\n/);
  assert.match(text, /\n  schedule         = cosine\(final = 0\.1\)\n/);
});

test("explain JSON: schema, fixed key order, every argument", () => {
  const json = explainJson([describeModel(motPaper), describeModel(everyKind)]);
  const doc = JSON.parse(json);
  assert.equal(doc.schema, EXPLAIN_SCHEMA);
  assert.deepEqual(Object.keys(doc), ["schema", "models"]);
  const [paper, small] = doc.models;
  assert.deepEqual(Object.keys(paper), ["name", "parent", "hyperparameters", "input", "embed", "sublayers", "head", "totals", "recipe"]);
  assert.deepEqual(paper.hyperparameters, { vocab, context: T, d_model: d, d_ff: 1024, norm: "layernorm", norm_eps: 1e-5, dropout: 0, init: { call: "normal", args: { std: 0.02 } } });
  assert.deepEqual(Object.keys(paper.sublayers[1]), ["index", "name", "kind", "args", "call", "outputShape", "params", "paramCount", "activeParamsPerToken", "flopsPerToken"]);
  assert.deepEqual(paper.sublayers[1].args, { experts: 512, group: 32, expert_size: 64, temp: { call: "learnable", args: { init: 1 } }, activation: "relu", init: { call: "fan_in", args: { scale: 1 } } });
  assert.deepEqual(paper.sublayers[1].outputShape, ["B", "T", 256]);
  assert.deepEqual(paper.head.outputShape, ["B", "T", vocab]);
  assert.equal(paper.totals.params, 81_617_668);
  assert.deepEqual(paper.recipe.optimizer, { call: "adamw", args: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1 } });
  assert.deepEqual(Object.keys(paper.recipe), ["steps", "batch", "context", "lr", "warmup", "schedule", "optimizer", "clip", "seed", "eval_every", "checkpoint_every", "temp"]);
  assert.equal(small.recipe, null);
  assert.deepEqual(small.sublayers[3].args, { experts: 4, routing: "token_choice", topk: 2, capacity: 1.25, expert_size: 64, activation: "relu", aux_loss: 0.01, init: { call: "fan_in", args: { scale: 1 } } });
  assert.deepEqual(small.sublayers[4].args, { experts: 4, routing: "expert_choice", topk: 1, capacity: 2, group: 8, expert_size: 32, activation: "gelu", init: { call: "fan_in", args: { scale: 1 } } });
  assert.equal(small.sublayers[2].args.temp, 2);
  // Deterministic: the same models give the same bytes.
  assert.equal(explainJson([describeModel(motPaper), describeModel(everyKind)]), json);
});
