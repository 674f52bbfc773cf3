// Every error class of LANGUAGE.md ("What the checker rejects"), each with its
// code and exact line and column, plus the checker's other codes. A spec with
// an error yields no model for the model it concerns.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../src/syntax/diagnostics.js";
import { messages } from "../../src/base/messages.js";
import { check, withLayers } from "./helpers.js";

interface Case {
  name: string;
  text: string;
  code: string;
  line: number;
  col: number;
  /** Exact message, when the test pins it. */
  message?: string;
  hint?: string;
  /** The models that still check (those the error does not concern). */
  clean?: string[];
}

const model = (body: string, header = "model m") => `${header} {\n${body}\n}\n`;
const keys = "  vocab = 64\n  context = 16\n  d_model = 32\n"; // lines 2–4 of `model(...)`

const cases: Case[] = [
  // Lexical and syntax errors
  { name: "lexical: a stray character", text: withLayers("  attention(heads = 4) $"), code: "MOT001", line: 6, col: 24 },
  { name: "syntax: a missing value", text: withLayers("  ff(size = )"), code: "MOT003", line: 6, col: 13 },
  { name: "version unknown", text: "version 2\n" + withLayers(""), code: "MOT004", line: 1, col: 9,
    message: "version 2 is not known to this motc (it knows version 1)" },
  { name: "a number that is not finite", text: withLayers("  ff(size = 1e999)"), code: "MOT005", line: 6, col: 13 },

  // Unknown keys, arguments, layers, enumerated words, names and models
  { name: "unknown model key", text: model(keys + "  d_modle = 3\n  embed\n  head"), code: "MOT010", line: 5, col: 3,
    message: "unknown model key 'd_modle'", hint: "did you mean 'd_model'?" },
  { name: "unknown layer", text: withLayers("  atention(heads = 4)"), code: "MOT011", line: 6, col: 3,
    message: "unknown layer 'atention'", hint: "did you mean 'attention'?" },
  { name: "unknown argument", text: withLayers("  mot(experts = 8, grop = 4)"), code: "MOT012", line: 6, col: 20,
    message: "unknown argument 'grop' to mot", hint: "did you mean 'group'?" },
  { name: "unknown argument of a call", text: "train m {\n  optimizer = adamw(beta3 = 0.9)\n}\n" + withLayers(""), code: "MOT012", line: 2, col: 21,
    message: "unknown argument 'beta3' to adamw", hint: "did you mean 'beta1'?" },
  { name: "LANGUAGE.md's example of an unknown argument", text: withLayers("  mot(expert = 8, group = 4)"), code: "MOT012", line: 6, col: 7,
    message: "unknown argument 'expert' to mot", hint: "did you mean 'experts'?" },
  { name: "a layer written as a key", text: model(keys + "  embed\n  attention = 4\n  head"), code: "MOT010", line: 6, col: 3,
    hint: "attention is a layer: write attention(…)" },
  { name: "a key written as a layer", text: withLayers("  d_ff(4)".replace("(4)", "")), code: "MOT011", line: 6, col: 3,
    hint: "d_ff is a key: write d_ff = …" },
  { name: "a layer named like an Object property", text: withLayers("  constructor(x = 1)\n  toString()"), code: "MOT011", line: 6, col: 3 },
  { name: "a call named like an Object property", text: withLayers("  ff(size = valueOf(x = 1))"), code: "MOT013", line: 6, col: 13 },
  { name: "a replace named like an Object property", text: withLayers("  ff") + "model d extends m {\n  replace __proto__ with ff\n}\n",
    code: "MOT011", line: 10, col: 11, clean: ["m"] },
  { name: "unknown name", text: withLayers("  ff(size = 2 * d_mdel)"), code: "MOT013", line: 6, col: 17,
    message: "unknown name 'd_mdel'", hint: "did you mean 'd_model'?" },
  { name: "unknown enumerated word", text: withLayers("  ff(activation = rellu)"), code: "MOT014", line: 6, col: 19,
    message: "'rellu' is not a valid value for activation (expected relu or gelu)", hint: "did you mean 'relu'?" },
  { name: "a word of another enumeration", text: model(keys + "  norm = relu\n  embed\n  head"), code: "MOT014", line: 5, col: 10,
    message: "'relu' is not a valid value for norm (expected layernorm or rmsnorm)" },
  { name: "extends an unknown model", text: withLayers("") + "model d extends n {\n}\n", code: "MOT015", line: 9, col: 17, clean: ["m"],
    message: "unknown model 'n'", hint: "did you mean 'm'?" },
  { name: "unknown recipe key", text: withLayers("") + "train m {\n  steps = 10\n  batch = 2\n  lr = 1\n  step = 3\n}\n",
    code: "MOT016", line: 13, col: 3, message: "unknown recipe key 'step'", hint: "did you mean 'steps'?" },
  { name: "train block for an unknown model", text: withLayers("") + "train n {\n}\n", code: "MOT040", line: 9, col: 7, clean: ["m"],
    message: "train recipe names unknown model 'n'", hint: "did you mean 'm'?" },

  // Two declarations with one name; a name set twice
  { name: "two models with one name", text: withLayers("") + withLayers(""), code: "MOT017", line: 9, col: 7, clean: ["m"],
    message: "model 'm' is declared twice" },
  { name: "two recipes for one model", text: withLayers("") + "train m {\n}\ntrain m {\n}\n", code: "MOT018", line: 11, col: 7,
    message: "model 'm' has two train recipes" },
  { name: "a key set twice", text: model(keys + "  vocab = 65\n  embed\n  head"), code: "MOT019", line: 5, col: 3,
    message: "'vocab' is set twice" },
  { name: "an argument given twice", text: withLayers("  attention(heads = 4, heads = 2)"), code: "MOT019", line: 6, col: 24 },

  // Cycles
  { name: "constants defined in terms of each other", text: withLayers("  ff(size = a)").replace("  embed", "  let a = b\n  let b = 2 * a\n  embed"),
    code: "MOT020", line: 5, col: 7, message: "'a' is defined in terms of itself: a -> b -> a" },
  { name: "a model key defined by itself", text: model("  vocab = vocab + 1\n  context = 16\n  d_model = 32\n  embed\n  head"),
    code: "MOT020", line: 2, col: 3, message: "'vocab' is defined in terms of itself: vocab -> vocab" },
  { name: "extends in a cycle", text: "model a extends b {\n}\nmodel b extends a {\n}\n", code: "MOT021", line: 3, col: 17,
    message: "model 'b' extends itself: b -> a -> b" },

  // Missing required keys and arguments
  { name: "missing model key", text: model("  vocab = 64\n  context = 16\n  embed\n  head"), code: "MOT022", line: 1, col: 7,
    message: "missing required key 'd_model' in model 'm'" },
  { name: "missing recipe key", text: withLayers("") + "train m {\n  steps = 10\n  batch = 2\n}\n", code: "MOT022", line: 9, col: 7,
    message: "missing required key 'lr' in train 'm'" },
  { name: "missing argument", text: withLayers("  attention()"), code: "MOT023", line: 6, col: 3,
    message: "missing required argument 'heads' to attention" },
  { name: "moe expert_choice needs a group", text: withLayers("  moe(experts = 4, routing = expert_choice)"), code: "MOT023", line: 6, col: 3,
    message: "missing required argument 'group' to moe" },

  // Wrong types
  { name: "a fractional head count", text: withLayers("  attention(heads = 2.5)"), code: "MOT024", line: 6, col: 21,
    message: "heads must be an integer, got 2.5" },
  { name: "a number for a flag", text: withLayers("  attention(heads = 4, causal = 3)"), code: "MOT024", line: 6, col: 33,
    message: "causal must be true or false, got 3" },
  { name: "arithmetic on a word", text: withLayers("  ff(size = relu * 2)"), code: "MOT024", line: 6, col: 13,
    message: "the operand of '*' must be a number, got relu" },
  { name: "a word for a temperature", text: withLayers("  mot(experts = 8, group = 4, temp = gelu)"), code: "MOT014", line: 6, col: 38 },

  // Sizes and their relations
  { name: "a non-positive size", text: model("  vocab = 0\n  context = 16\n  d_model = 32\n  embed\n  head"), code: "MOT025", line: 2, col: 11,
    message: "vocab must be positive, got 0" },
  { name: "a negative width", text: withLayers("  ff(size = -64)"), code: "MOT025", line: 6, col: 13, message: "size must be positive, got -64" },
  { name: "heads not dividing d_model", text: withLayers("  attention(heads = 5)"), code: "MOT026", line: 6, col: 21,
    message: "heads = 5 does not divide d_model = 32", hint: "try heads = 4 or 8" },
  { name: "expert_size not whole", text: withLayers("  mot(experts = 48, group = 2)"), code: "MOT027", line: 6, col: 3,
    message: "expert_size = d_ff * group / experts = 128 * 2 / 48 = 5.333333333333333 is not a whole number" },
  { name: "group below 1", text: withLayers("  mot(experts = 8, group = 0)"), code: "MOT028", line: 6, col: 28,
    message: "group must be at least 1, got 0" },
  { name: "topk above experts", text: withLayers("  moe(experts = 2, topk = 3)"), code: "MOT029", line: 6, col: 27,
    message: "topk = 3 exceeds experts = 2" },
  { name: "expert choice taking more rows than a group has", text: withLayers("  moe(experts = 2, routing = expert_choice, group = 4, capacity = 3)"),
    code: "MOT048", line: 6, col: 67, message: "each expert would take ceil(capacity * group / experts) = 6 rows of a group of 4",
    hint: "capacity can be at most experts (2)" },
  { name: "recipe context above the model's", text: withLayers("") + "train m {\n  steps = 10\n  batch = 2\n  lr = 1e-3\n  context = 32\n}\n",
    code: "MOT030", line: 13, col: 13, message: "recipe context 32 exceeds the model's context 16" },

  // embed and head
  { name: "embed missing", text: model(keys + "  head"), code: "MOT031", line: 1, col: 7, message: "model 'm' has no embed layer" },
  { name: "head missing", text: model(keys + "  embed"), code: "MOT031", line: 1, col: 7, message: "model 'm' has no head layer" },
  { name: "embed repeated", text: withLayers("  embed"), code: "MOT032", line: 6, col: 3, message: "embed must appear exactly once" },
  { name: "head repeated", text: withLayers("  head"), code: "MOT032", line: 6, col: 3, message: "head must appear exactly once" },
  { name: "embed after a sublayer", text: model(keys + "  attention(heads = 4)\n  embed\n  head"), code: "MOT033", line: 6, col: 3,
    message: "embed is out of place: it must come first" },
  { name: "head before a sublayer", text: model(keys + "  embed\n  head\n  ff"), code: "MOT033", line: 6, col: 3,
    message: "head is out of place: it must come last" },
  { name: "head inside repeat", text: model(keys + "  embed\n  repeat 1 {\n    head\n  }"), code: "MOT033", line: 7, col: 5,
    message: "head is out of place: it cannot be inside repeat" },

  // replace
  { name: "replace of a kind the parent lacks", text: withLayers("  mot(experts = 8, group = 4)") + "model d extends m {\n  replace moe with ff\n}\n",
    code: "MOT034", line: 10, col: 11, clean: ["m"], message: "model 'm' has no 'moe' layer to replace", hint: "did you mean 'mot'?" },
  { name: "replace without extends", text: withLayers("  ff") + "model d {\n  replace ff with ff\n}\n", code: "MOT035", line: 10, col: 3, clean: ["m"] },
  { name: "replace of an unknown kind", text: withLayers("  ff") + "model d extends m {\n  replace fff with ff\n}\n", code: "MOT011", line: 10, col: 11, clean: ["m"] },
  { name: "replace next to a listed stack", text: withLayers("  ff") + "model d extends m {\n  replace ff with ff\n  embed\n  head\n}\n",
    code: "MOT046", line: 10, col: 3, clean: ["m"], message: "replace has no effect: model 'd' lists its own layers" },

  // Arithmetic
  { name: "an inexact division where an integer is needed", text: withLayers("  attention(heads = d_model / 3)"), code: "MOT036", line: 6, col: 21,
    message: "32 / 3 is not a whole number, but heads must be an integer" },
  { name: "division by zero", text: withLayers("  ff(size = d_model / 0)"), code: "MOT037", line: 6, col: 13 },
  { name: "arithmetic overflow", text: withLayers("  ff(size = 1e300 * 1e300)"), code: "MOT042", line: 6, col: 13 },

  // Absurd sizes
  { name: "repeat 1G", text: withLayers("  repeat 1G {\n    ff\n  }"), code: "MOT038", line: 6, col: 10,
    message: "the expanded layer stack is too large: 1000000000 layers (the limit is 10000)" },
  { name: "a size past the safe integers", text: model("  vocab = 9007199254740993\n  context = 16\n  d_model = 32\n  embed\n  head"),
    code: "MOT038", line: 2, col: 11 },
  { name: "a tensor past 2^31 elements", text: model("  vocab = 100M\n  context = 16\n  d_model = 32\n  embed\n  head"), code: "MOT038", line: 5, col: 3,
    message: "parameter 'embed.token' [100000000, 32] is too large: 3200000000 elements (the limit is 2147483648)" },

  // Calls, ranges, misplaced arguments, constants named like keys
  { name: "arguments to a word", text: withLayers("  ff(activation = relu(x = 1))"), code: "MOT039", line: 6, col: 19, message: "relu takes no arguments here" },
  { name: "a rate outside its range", text: model(keys + "  dropout = 1.5\n  embed\n  head"), code: "MOT041", line: 5, col: 13,
    message: "dropout must be between 0 and 1 (exclusive), got 1.5" },
  { name: "a negative clip", text: withLayers("") + "train m {\n  steps = 10\n  batch = 2\n  lr = 1\n  clip = -1\n}\n", code: "MOT043", line: 13, col: 10 },
  { name: "a let named like a key", text: model("  let vocab = 64\n  context = 16\n  d_model = 32\n  embed\n  head"), code: "MOT045", line: 2, col: 7,
    message: "'vocab' is a model key, not a constant: set it without 'let'" },
  { name: "aux_loss with expert choice", text: withLayers("  moe(experts = 4, routing = expert_choice, group = 4, aux_loss = 0.1)"), code: "MOT047", line: 6, col: 67,
    message: "aux_loss applies only with routing = token_choice" },
  { name: "a temperature float32 cannot divide by", text: withLayers("  mot(experts = 4, group = 2, temp = 1e-45)"), code: "MOT049", line: 6, col: 38,
    message: "temp must be at least 1e-6, got 1e-45",
    hint: "a smaller τ overflows float32 in logits / τ and in training; compile with --no-mix=hard for the τ → 0 limit" },
];

for (const c of cases) {
  test(`rejects ${c.name} (${c.code} at ${c.line}:${c.col})`, () => {
    const result = check(c.text);
    const found = result.diagnostics.find((d) => d.code === c.code);
    assert.ok(found, `expected ${c.code}; got ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ") || "nothing"}`);
    assert.equal(found.severity, "error");
    assert.deepEqual([found.span?.line, found.span?.col], [c.line, c.col], found.message);
    assert.equal(found.span?.file, "test.mot");
    if (c.message) assert.equal(found.message, c.message);
    if (c.hint) assert.equal(found.hint, c.hint);
    assert.deepEqual(result.models.map((m) => m.name), c.clean ?? [], "the model with the error is not returned");
  });
}

test("a diagnostic renders as file:line:col, code, message, source line, caret and hint", () => {
  const text = withLayers("  mot(experts = 8, grop = 4)");
  const result = check(text, "specs/a.mot");
  const unknown = result.diagnostics.find((d) => d.code === "MOT012")!;
  assert.equal(
    formatDiagnostic(unknown, { path: "specs/a.mot", text }),
    [
      "specs/a.mot:6:20: error MOT012: unknown argument 'grop' to mot",
      " 6 |   mot(experts = 8, grop = 4)",
      "   |                    ^^^^",
      "  hint: did you mean 'group'?",
    ].join("\n"),
  );
});

test("an unused let is a warning (MOT100) and the model still checks", () => {
  const result = check(withLayers("").replace("  embed", "  let spare = 3\n  embed"));
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity, d.span?.line, d.span?.col, d.message]), [
    ["MOT100", "warning", 5, 7, "let constant 'spare' is never used"],
  ]);
  assert.equal(result.models.length, 1);
});

test("every check code in the message table has a case above or in limits.test.ts", () => {
  const elsewhere = ["MOT044" /* limits.test.ts */, "MOT100" /* below */];
  const covered = new Set([...cases.map((c) => c.code), ...elsewhere]);
  // MOT099 is not the checker's: it is the line after a failing spec's diagnostics (test/check/cli.test.ts).
  const checkCodes = Object.keys(messages).filter((code) => code === "MOT004" || (code >= "MOT010" && code < "MOT099"));
  assert.deepEqual(checkCodes.filter((code) => !covered.has(code)), []);
});

test("a mistake found only through an extending model points at the inherited line and names the model", () => {
  const text = "model child extends m {\n  d_model = 30\n}\n" + withLayers("  attention(heads = 4)");
  const result = check(text);
  assert.deepEqual(
    result.diagnostics.map((d) => [d.code, d.span?.line, d.span?.col, d.message, d.hint]),
    [["MOT026", 9, 21, "heads = 4 does not divide d_model = 30", "try heads = 3 or 5; found while checking model 'child', which inherits this line"]],
  );
  assert.deepEqual(result.models.map((model) => model.name), ["m"]);
});
