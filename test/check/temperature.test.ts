// The recipe key `temp` (`none` | `anneal(final, start)`): defaults, the IR it
// produces, and each mistake with its code, line and column.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeModel } from "../../src/review/describe.js";
import { explainJson, explainText } from "../../src/review/explain.js";
import { check } from "./helpers.js";

/** A valid model and recipe; the recipe's `temp` line is line 13. */
const spec = (temp: string, steps = 100) => `model m {
  vocab = 64
  context = 16
  d_model = 32
  embed
  mot(experts = 4, group = 2, temp = learnable)
  head
}
train m {
  steps = ${steps}
  batch = 4
  lr = 1e-3
${temp}
}
`;

const recipeOf = (text: string) => {
  const result = check(text);
  assert.deepEqual(result.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  return result.models[0].recipe!;
};

test("temp defaults to none (no field in the IR); anneal fills final = 0.05 and start = 0.8", () => {
  assert.equal(recipeOf(spec("")).temp, undefined);
  assert.equal(recipeOf(spec("  temp = none")).temp, undefined);
  assert.deepEqual(recipeOf(spec("  temp = anneal")).temp, { kind: "anneal", final: 0.05, start: 0.8 });
  assert.deepEqual(recipeOf(spec("  temp = anneal()")).temp, { kind: "anneal", final: 0.05, start: 0.8 });
  assert.deepEqual(recipeOf(spec("  temp = anneal(final = 0.1, start = 90%)")).temp, { kind: "anneal", final: 0.1, start: 0.9 });
  assert.deepEqual(recipeOf(spec("  temp = anneal(start = steps - 10)")).temp, { kind: "anneal", final: 0.05, start: 90 });
});

test("an extending model inherits temp and may override it", () => {
  const text = spec("  temp = anneal(final = 0.2)") + "model c extends m {\n  d_model = 16\n}\ntrain c {\n  temp = none\n}\nmodel k extends m {\n}\n";
  const result = check(text);
  assert.deepEqual(result.diagnostics, []);
  const byName = new Map(result.models.map((m) => [m.name, m.recipe!.temp]));
  assert.deepEqual(byName.get("m"), { kind: "anneal", final: 0.2, start: 0.8 });
  assert.equal(byName.get("c"), undefined);
  assert.deepEqual(byName.get("k"), { kind: "anneal", final: 0.2, start: 0.8 });
});

const errors: { name: string; temp: string; code: string; col: number; message: string; hint?: string; steps?: number }[] = [
  { name: "unknown argument with a suggestion", temp: "  temp = anneal(finale = 0.1)", code: "MOT012", col: 17,
    message: "unknown argument 'finale' to anneal", hint: "did you mean 'final'?" },
  { name: "final not positive", temp: "  temp = anneal(final = 0)", code: "MOT025", col: 25, message: "final must be positive, got 0" },
  { name: "start negative", temp: "  temp = anneal(start = -5)", code: "MOT043", col: 25, message: "start must not be negative, got -5" },
  { name: "start at or after the last step", temp: "  temp = anneal(start = 100)", code: "MOT041", col: 10,
    message: "anneal start must be between 0 and steps - 1 (99), got 100", hint: "the anneal needs at least one step after its start" },
  { name: "a fraction that rounds to the last step", temp: "  temp = anneal(start = 0.99)", steps: 10, code: "MOT041", col: 10,
    message: "anneal start must be between 0 and steps - 1 (9), got 10", hint: "the anneal needs at least one step after its start" },
  { name: "start neither a fraction nor a whole step", temp: "  temp = anneal(start = 2.5)", code: "MOT024", col: 10,
    message: "anneal start must be a whole step, or a fraction of steps below 1, got 2.5" },
  { name: "an unknown word", temp: "  temp = annael", code: "MOT014", col: 10,
    message: "'annael' is not a valid value for temp (expected none or anneal(final = τ, start = s))", hint: "did you mean 'anneal'?" },
  { name: "a number", temp: "  temp = 0.5", code: "MOT024", col: 10, message: "temp must be none or anneal(final = τ, start = s), got 0.5" },
  { name: "another callable", temp: "  temp = cosine(final = 0.1)", code: "MOT024", col: 10,
    message: "temp must be none or anneal(final = τ, start = s), got cosine(final = 0.1)" },
  { name: "an unknown key near temp", temp: "  tmp = anneal", code: "MOT016", col: 3, message: "unknown recipe key 'tmp'", hint: "did you mean 'temp'?" },
];

for (const c of errors) {
  test(`temp: ${c.name} is ${c.code} at 13:${c.col}`, () => {
    const result = check(spec(c.temp, c.steps));
    const errorsFound = result.diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errorsFound.map((d) => [d.code, d.span?.line, d.span?.col, d.message]), [[c.code, 13, c.col, c.message]]);
    if (c.hint) assert.equal(errorsFound[0].hint, c.hint);
    assert.deepEqual(result.models, []);
  });
}

test("motc explain spells temp out, in text and JSON", () => {
  const [annealed] = check(spec("  temp = anneal(final = 0.1, start = 90%)")).models;
  const [plain] = check(spec("")).models;
  assert.match(explainText([describeModel(annealed)]), /\n {2}temp +\s= anneal\(final = 0\.1, start = 0\.9\)\n/);
  assert.match(explainText([describeModel(plain)]), /\n {2}temp +\s= none\n/);
  const json = JSON.parse(explainJson([describeModel(annealed), describeModel(plain)]));
  assert.deepEqual(json.models.map((m: { recipe: { temp: unknown } }) => m.recipe.temp), [{ call: "anneal", args: { final: 0.1, start: 0.9 } }, "none"]);
});

test("MOT101: a model's own anneal with no learnable mot temperature is a warning at the value; inherited ones are silent", () => {
  const fixed = spec("  temp = anneal").replace("temp = learnable", "temp = 0.5");
  const result = check(fixed);
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity, d.span?.line, d.span?.col, d.message]), [
    ["MOT101", "warning", 13, 10, "temp = anneal(...) has no effect: model 'm' has no mot layer with a learnable temperature"],
  ]);
  assert.equal(result.models.length, 1); // a warning keeps the model
  // The dense twin inherits the parent's anneal: nothing to say about a line it did not write.
  const twin = check(spec("  temp = anneal") + "model d extends m {\n  replace mot with ff()\n}\n");
  assert.deepEqual(twin.diagnostics, []);
  assert.deepEqual(twin.models.map((m) => m.name), ["m", "d"]);
});

test("a temperature below 1e-6 is refused at its value (MOT049): fixed, learnable(init) and anneal(final) (issue 11, item 17)", () => {
  const layer = (temp: string) => `model m {\n  vocab = 64\n  context = 16\n  d_model = 32\n  embed\n  mot(experts = 4, group = 2, temp = ${temp})\n  head\n}\n`;
  const hint = "a smaller τ overflows float32 in logits / τ and in training; compile with --no-mix=hard for the τ → 0 limit";
  const cases: [string, string, number, number][] = [
    // float32 has no normal number this small: τ would be 0 or a denormal, and logits / τ infinite.
    [layer("1e-45"), "temp must be at least 1e-6, got 1e-45", 6, 38],
    [layer("learnable(init = 1e-45)"), "init must be at least 1e-6, got 1e-45", 6, 55],
    // Normal in float32, but 1 / τ² (in training's AdamW second moment) overflows.
    [layer("1e-30"), "temp must be at least 1e-6, got 1e-30", 6, 38],
    [spec("  temp = anneal(final = 1e-7)"), "final must be at least 1e-6, got 1e-7", 13, 25],
  ];
  for (const [text, message, line, col] of cases) {
    const result = check(text);
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.message, d.span?.line, d.span?.col, d.hint]), [["MOT049", message, line, col, hint]], message);
    assert.deepEqual(result.models, []);
  }
  // The bound itself and anything above are fine.
  for (const temp of ["1e-6", "learnable(init = 1e-6)", "0.05"]) assert.deepEqual(check(layer(temp)).diagnostics, [], temp);
  assert.deepEqual(check(spec("  temp = anneal(final = 1e-6)")).diagnostics, []);
});
