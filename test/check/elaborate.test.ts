// The checker's output: LANGUAGE.md's examples check, defaults are filled in,
// and extends / replace / repeat / let elaborate to the stack SEMANTICS.md numbers.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ModelIR, Sublayer } from "../../src/ir/model.js";
import { densePaper, motPaper } from "../review/models.js";
import { repoRoot } from "../support/cli.js";
import { check, withLayers } from "./helpers.js";

/** LANGUAGE.md, "A complete example", verbatim. */
const completeExample = `# The proof-of-concept model of the Mixture of Tokens paper (4 blocks, d=256).
version 1

model mot_paper {
  vocab = 50257
  context = 256
  d_model = 256
  d_ff = 4 * d_model # dense FFN width; MoT experts are FLOP-matched to it
  norm = layernorm

  embed(position = learned)
  repeat 4 {
    attention(heads = 4)
    mot(experts = 512, group = 32, temp = learnable)
  }
  head(tied = true)
}

model dense_paper extends mot_paper {
  replace mot with ff() # the same model with a dense FFN in every block
}

train mot_paper {
  steps = 250k
  batch = 256
  lr = 2e-3
  warmup = 1% # of steps
  schedule = cosine(final = 10%) # of peak lr
  optimizer = adamw(beta1 = 0.9, beta2 = 0.95, weight_decay = 0.1)
  clip = 1.0
  seed = 0
}
`;

const only = (text: string): ModelIR => {
  const result = check(text);
  assert.deepEqual(result.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.col} ${d.message}`), []);
  assert.equal(result.models.length, 1);
  return result.models[0];
};
const kinds = (model: ModelIR) => model.sublayers.map((layer) => layer.kind).join(" ");

test("LANGUAGE.md's complete example is specs/mot_paper.mot and elaborates to the paper's models", () => {
  assert.equal(readFileSync(join(repoRoot, "specs/mot_paper.mot"), "utf8"), completeExample);
  const result = check(completeExample);
  assert.deepEqual(result.diagnostics, []);
  // test/review/models.ts writes both models out by hand from LANGUAGE.md and SEMANTICS.md.
  assert.deepEqual(result.models, [motPaper, densePaper]);
});

test("the dense twin has ff where mot was, with the same indices", () => {
  const [mot, dense] = check(completeExample).models;
  assert.equal(kinds(mot), "attention mot attention mot attention mot attention mot");
  assert.equal(kinds(dense), "attention ff attention ff attention ff attention ff");
  assert.deepEqual(dense.sublayers.map((layer) => layer.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(dense.sublayers[1], { index: 1, kind: "ff", init: { kind: "normal", std: 0.02 }, size: 1024, activation: "relu" });
  assert.equal(dense.parent, "mot_paper");
  assert.deepEqual(dense.recipe, mot.recipe, "an extending model inherits its parent's recipe");
});

test("every spec in specs/ and every fixture in test/fixtures/check checks clean", () => {
  const files = [
    ...readdirSync(join(repoRoot, "specs")).map((name) => join("specs", name)),
    ...readdirSync(join(repoRoot, "test/fixtures/check")).filter((n) => n.endsWith(".mot")).map((n) => join("test/fixtures/check", n)),
  ].filter((path) => path.endsWith(".mot"));
  assert.ok(files.length >= 7);
  for (const path of files) {
    const result = check(readFileSync(join(repoRoot, path), "utf8"), path);
    assert.deepEqual(result.diagnostics.map((d) => `${d.code} ${d.message}`), [], path);
    const declared = result.spec.decls.filter((d) => d.kind === "model").map((d) => d.name.name);
    assert.deepEqual(result.models.map((m) => m.name), declared, path);
  }
});

test("every default of LANGUAGE.md is filled in", () => {
  const model = only(`model m {
  vocab = 64
  context = 16
  d_model = 32
  embed
  attention(heads = 4)
  ff
  mot(experts = 8, group = 4)
  moe(experts = 4)
  moe(experts = 4, routing = expert_choice, group = 2)
  head
}
train m {
  steps = 1000
  batch = 8
  lr = 1e-3
}
`);
  const expected: ModelIR = {
    name: "m",
    vocab: 64,
    context: 16,
    dModel: 32,
    dFF: 128,
    norm: "layernorm",
    normEps: 1e-5,
    dropout: 0,
    init: { kind: "normal", std: 0.02 },
    position: "learned",
    sublayers: [
      { index: 0, kind: "attention", init: { kind: "normal", std: 0.02 }, heads: 4, headDim: 8, causal: true, bias: false },
      { index: 1, kind: "ff", init: { kind: "normal", std: 0.02 }, size: 128, activation: "relu" },
      { index: 2, kind: "mot", init: { kind: "fan_in", scale: 1 }, experts: 8, group: 4, expertSize: 64, temp: { kind: "fixed", value: 1 }, activation: "relu" },
      { index: 3, kind: "moe", init: { kind: "fan_in", scale: 1 }, experts: 4, routing: "token_choice", topk: 1, capacity: 1.25, expertSize: 128, activation: "relu", auxLoss: 0.01 },
      { index: 4, kind: "moe", init: { kind: "fan_in", scale: 1 }, experts: 4, routing: "expert_choice", topk: 1, capacity: 1.25, group: 2, expertSize: 128, activation: "relu" },
    ],
    tiedHead: true,
    recipe: {
      steps: 1000,
      batch: 8,
      context: 16,
      lr: 1e-3,
      warmup: 10,
      schedule: { kind: "cosine", final: 0.1 },
      optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
      clip: 1,
      seed: 0,
      evalEvery: 50,
      checkpointEvery: 50,
    },
  };
  assert.deepEqual(model, expected);
});

test("names and values: constants before use, arithmetic, suffixes, calls, recipe keys", () => {
  const model = only(readFileSync(join(repoRoot, "test/fixtures/check/language.mot"), "utf8"));
  assert.deepEqual(
    [model.vocab, model.context, model.dModel, model.dFF, model.norm, model.normEps, model.dropout, model.position, model.tiedHead],
    [256, 64, 64, 192, "rmsnorm", 1e-6, 0.1, "sinusoidal", false],
  );
  // embed, then 2 × (attention, 2 × (ff, ff), mot), then moe, then head.
  assert.equal(kinds(model), "attention ff ff ff ff mot attention ff ff ff ff mot moe");
  assert.deepEqual(model.sublayers.map((layer) => layer.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(model.sublayers[1], { index: 1, kind: "ff", init: { kind: "normal", std: 0.02 }, size: 192, activation: "relu" });
  assert.deepEqual(model.sublayers[2], { index: 2, kind: "ff", init: { kind: "normal", std: 0.02 }, size: 128, activation: "gelu" }); // width = 64 / 4, × 8
  assert.deepEqual((model.sublayers[5] as Extract<Sublayer, { kind: "mot" }>).temp, { kind: "learnable", init: 0.5 });
  assert.equal((model.sublayers[5] as Extract<Sublayer, { kind: "mot" }>).expertSize, 48); // 192 · 4 / 16
  assert.deepEqual(model.recipe, {
    steps: 250_000,
    batch: 32,
    context: 64,
    lr: 2e-3,
    warmup: 500,
    schedule: { kind: "linear", final: 0 },
    optimizer: { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 },
    clip: 0,
    seed: 7,
    evalEvery: 5000,
    checkpointEvery: 20_000,
  });
});

test("nested repeat expands in order and numbers sublayers 0, 1, … (SEMANTICS.md)", () => {
  const model = only(withLayers("  repeat 2 {\n    attention(heads = 2)\n    repeat 3 {\n      ff(size = 8)\n    }\n    mot(experts = 4, group = 2)\n  }\n  ff(size = 16)"));
  assert.equal(kinds(model), "attention ff ff ff mot attention ff ff ff mot ff");
  assert.deepEqual(model.sublayers.map((layer) => layer.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal((model.sublayers[10] as Extract<Sublayer, { kind: "ff" }>).size, 16);
});

test("extends is late-bound: a child's keys and constants reach the parent's expressions", () => {
  const result = check(`model base {
  let experts = 8
  vocab = 64
  context = 16
  d_model = 32
  embed
  attention(heads = 4)
  mot(experts = experts, group = 4)
  head
}
model wide extends base {
  let experts = 16
  d_model = 64
}
`);
  assert.deepEqual(result.diagnostics, []);
  const [base, wide] = result.models;
  assert.deepEqual([base.dModel, base.dFF, wide.dModel, wide.dFF], [32, 128, 64, 256]);
  assert.deepEqual(
    wide.sublayers.map((layer) => (layer.kind === "mot" ? [layer.experts, layer.expertSize] : layer.kind === "attention" ? [layer.kind, layer.headDim] : [])),
    [["attention", 16], [16, 64]], // expert_size = 256 · 4 / 16
  );
});

test("a child that lists layers replaces the whole stack; replace reaches through grandparents", () => {
  const result = check(`${withLayers("  attention(heads = 4)\n  mot(experts = 8, group = 4)")}
model twin extends m {
  replace mot with ff()
}
model grand extends twin {
  replace attention with attention(heads = 8, causal = false)
}
model fresh extends m {
  embed(position = none)
  ff(size = 32)
  head(tied = false)
}
`);
  assert.deepEqual(result.diagnostics, []);
  const byName = new Map(result.models.map((model) => [model.name, model]));
  assert.equal(kinds(byName.get("twin")!), "attention ff");
  assert.deepEqual(byName.get("grand")!.sublayers, [
    { index: 0, kind: "attention", init: { kind: "normal", std: 0.02 }, heads: 8, headDim: 4, causal: false, bias: false },
    { index: 1, kind: "ff", init: { kind: "normal", std: 0.02 }, size: 128, activation: "relu" },
  ]);
  const fresh = byName.get("fresh")!;
  assert.deepEqual([kinds(fresh), fresh.position, fresh.tiedHead, fresh.parent], ["ff", "none", false, "m"]);
});

test("recipes inherit key by key; defaults follow the keys they depend on", () => {
  const result = check(`${withLayers("  ff")}
model child extends m {
  context = 8
}
train m {
  steps = 600
  batch = 4
  lr = 1e-3
  warmup = 5%
  seed = 3
}
train child {
  steps = 90
  warmup = 0.333
}
`);
  assert.deepEqual(result.diagnostics, []);
  const [parent, child] = result.models.map((model) => model.recipe!);
  assert.deepEqual([parent.steps, parent.warmup, parent.context, parent.evalEvery, parent.seed], [600, 30, 16, 30, 3]);
  // steps and warmup overridden; batch, lr and seed inherited; context follows the child model;
  // warmup 0.333 of 90 steps rounds to 30; eval_every = floor(90 / 20) = 4.
  assert.deepEqual([child.steps, child.batch, child.lr, child.seed, child.warmup, child.context, child.evalEvery], [90, 4, 1e-3, 3, 30, 8, 4]);
});

test("eval_every and checkpoint_every default to steps / 20, rounded down, at least 1", () => {
  const recipe = (steps: number) => only(`${withLayers("")}train m {\n  steps = ${steps}\n  batch = 1\n  lr = 1\n}\n`).recipe!;
  assert.deepEqual([recipe(10).evalEvery, recipe(39).evalEvery, recipe(40).checkpointEvery, recipe(1001).evalEvery], [1, 1, 2, 50]);
  assert.equal(recipe(10).warmup, 0); // 1% of 10 steps rounds to 0
});

test("several errors in one spec are all reported, in source order", () => {
  const path = "test/fixtures/check/errors/many.mot";
  const result = check(readFileSync(join(repoRoot, path), "utf8"), path);
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.span?.line, d.span?.col]), [
    ["MOT012", 6, 31],
    ["MOT014", 7, 38],
    ["MOT026", 8, 21],
    ["MOT100", 12, 7],
    ["MOT015", 19, 22],
    ["MOT025", 22, 11],
    ["MOT013", 24, 8],
  ]);
  // `fine` itself is right, but its recipe is not: a model is clean only with its recipe.
  assert.deepEqual(result.models, []);
});

test("a model may extend one declared after it, and a train block may come first", () => {
  const result = check(`train child {
  steps = 10
  batch = 1
  lr = 1
}
model child extends parent {
  replace ff with ff(size = 16)
}
${withLayers("  ff")}`.replace("model m {", "model parent {"));
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(result.models.map((model) => [model.name, model.parent, kinds(model), model.recipe?.steps]), [
    ["child", "parent", "ff", 10],
    ["parent", undefined, "ff", undefined],
  ]);
  assert.equal((result.models[0].sublayers[0] as Extract<Sublayer, { kind: "ff" }>).size, 16);
});
