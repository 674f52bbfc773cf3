// Initialisation as the spec says (SEMANTICS.md, "Initialisation"): mot's default
// follows the paper's code — N(0, 1/fan_in) truncated to ±2 — and
// `init = normal(std = 0.02)` gives back GPT-2's scheme bit for bit, written out
// here independently of src/ir/params.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { Random } from "../../src/ir/random.js";

const d = 64;
const experts = 32;
const expertSize = 128;

function model(motArgs: string, modelKeys = ""): ModelIR {
  const text = `model m {
  vocab = 256
  context = 16
  d_model = ${d}
  ${modelKeys}
  embed()
  repeat 2 {
    attention(heads = 4)
    mot(experts = ${experts}, group = 8, expert_size = ${expertSize}${motArgs})
  }
  head()
}
`;
  const result = checkSpec({ path: "m.mot", text });
  assert.deepEqual(result.diagnostics.map((x) => x.message), []);
  return result.models[0];
}

function std(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum / values.length);
}

test("mot's default init: controller and w1 at std 1/√d, w2 at 1/√f, within ±2 (llm-random's truncated_normal, scale 1)", () => {
  const m = model("");
  assert.deepEqual(m.sublayers[1].init, { kind: "fan_in", scale: 1 });
  const weights = initialWeights(m, 0);
  const expected = { controller: 1 / Math.sqrt(d), w1: 1 / Math.sqrt(d), w2: 1 / Math.sqrt(expertSize) };
  for (const [name, target] of Object.entries(expected)) {
    const values = weights.get(`layers.1.mot.${name}`)!;
    // Thousands of draws: the sample std is within 3% of the formula (it is ~0.02 × 0.02 from it at GPT-2's init).
    assert.ok(Math.abs(std(values) / target - 1) < 0.03, `${name}: std ${std(values)} vs √(1/fan_in) = ${target}`);
    assert.ok(values.every((v) => Math.abs(v) <= 2), `${name}: a value beyond the ±2 truncation`);
  }
  // Attention keeps GPT-2's 0.02.
  assert.ok(Math.abs(std(weights.get("layers.0.attn.wq")!) / 0.02 - 1) < 0.03);
});

test("fan_in(scale = s) truncates at ±2s: a small fan-in and scale make the bound bite", () => {
  const m = model(", init = fan_in(scale = 0.25)");
  const values = initialWeights(m, 3).get("layers.1.mot.w1")!;
  // std = √(0.25/64) = 0.0625, bound 0.5 = 8σ: the truncation never acts.
  assert.ok(Math.abs(std(values) / Math.sqrt(0.25 / d) - 1) < 0.03);
  // scale 0.01 everywhere: std = √(0.01/64) = 0.0125, bound 0.02 = 1.6σ, so about 11% of the draws are redrawn.
  const tight = model(", init = fan_in(scale = 0.01)", "init = fan_in(scale = 0.01)");
  assert.deepEqual(tight.init, { kind: "fan_in", scale: 0.01 });
  for (const values of initialWeights(tight, 1).values()) assert.ok(values.every((v) => Math.abs(v) <= 0.02 || v === 1));
});

test("init = normal(std = 0.02) on mot restores today's weights bit for bit (GPT-2: residual outputs at std/√sublayers)", () => {
  const m = model(", init = normal(std = 0.02)");
  const weights = initialWeights(m, 7);
  const gpt2 = (name: string, shape: number, residual: boolean) => {
    const random = new Random(7, name);
    const scale = residual ? 0.02 / Math.sqrt(m.sublayers.length) : 0.02;
    return Float32Array.from({ length: shape }, () => random.normal() * scale);
  };
  assert.deepEqual(weights.get("layers.3.mot.controller"), gpt2("layers.3.mot.controller", d * experts, false));
  assert.deepEqual(weights.get("layers.3.mot.w1"), gpt2("layers.3.mot.w1", experts * d * expertSize, false));
  assert.deepEqual(weights.get("layers.3.mot.w2"), gpt2("layers.3.mot.w2", experts * expertSize * d, true));
  assert.deepEqual(weights.get("embed.token"), gpt2("embed.token", 256 * d, false));
});

test("the model key init sets every layer without its own; a layer's argument overrides it", () => {
  const m = model("", "init = normal(std = 0.01)");
  assert.deepEqual(m.init, { kind: "normal", std: 0.01 });
  assert.deepEqual(m.sublayers[0].init, { kind: "normal", std: 0.01 });
  assert.deepEqual(m.sublayers[1].init, { kind: "fan_in", scale: 1 }, "mot keeps the paper's default");
  const weights = initialWeights(m, 0);
  assert.ok(Math.abs(std(weights.get("embed.token")!) / 0.01 - 1) < 0.03);
  const bare = model(", init = normal", "init = fan_in");
  assert.deepEqual(bare.init, { kind: "fan_in", scale: 1 });
  assert.deepEqual(bare.sublayers[1].init, { kind: "normal", std: 0.02 });
});

test("a wrong init is an error at its value", () => {
  const cases: [string, string, string][] = [
    ["init = uniform", "MOT014", "'uniform' is not a valid value for init (expected normal(std = …) or fan_in(scale = …))"],
    ["init = 0.02", "MOT024", "init must be normal(std = …) or fan_in(scale = …), got 0.02"],
    ["init = normal(std = -1)", "MOT043", "std must not be negative, got -1"],
    ["init = fan_in(scale = 0)", "MOT025", "scale must be positive, got 0"],
    ["init = fan_in(std = 1)", "MOT012", "unknown argument 'std' to fan_in"],
  ];
  for (const [key, code, message] of cases) {
    const text = `model m {\n  vocab = 8\n  context = 4\n  d_model = 8\n  ${key}\n  embed()\n  ff()\n  head()\n}\n`;
    const [error] = checkSpec({ path: "m.mot", text }).diagnostics;
    assert.equal(error?.code, code, key);
    assert.equal(error.message, message, key);
    assert.equal(error.span?.line, 5, key);
  }
});
