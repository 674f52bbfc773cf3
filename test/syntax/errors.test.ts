// Lexical and syntax errors: each with its code, line and column exactly, all of
// them (not just the first), and a partial tree for what could be read.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { formatDiagnostic } from "../../src/syntax/diagnostics.js";
import { parseSpec } from "../../src/syntax/parse.js";
import { repoRoot } from "../support/cli.js";

/** `CODE line:col length message` for each diagnostic. */
function errors(text: string): string[] {
  return parseSpec({ path: "e.mot", text }).diagnostics.map(
    (d) => `${d.code} ${d.span?.line}:${d.span?.col} ${d.span?.length} ${d.message}`,
  );
}

test("MOT001: an unexpected character, at its position", () => {
  assert.deepEqual(errors("model a {\n  vocab = 1 @\n}\n"), ["MOT001 2:13 1 unexpected character '@'"]);
  assert.deepEqual(errors("model a { x = 1; }"), ["MOT001 1:16 1 unexpected character ';'"]);
  assert.deepEqual(errors("model é {}"), ["MOT001 1:7 1 unexpected character 'é'", "MOT003 1:9 1 expected a name, found '{'"]);
});

test("MOT002: an unterminated string runs to the end of its line", () => {
  assert.deepEqual(errors('model a {\n  path = "data/x.txt\n  vocab = 2\n}'), ["MOT002 2:10 11 unterminated string"]);
  assert.deepEqual(errors('train a { p = "a\\"'), ["MOT002 1:15 4 unterminated string", "MOT003 1:19 1 expected a key, 'let' or '}', found end of file"]);
});

test("MOT005: malformed and overflowing numbers", () => {
  assert.deepEqual(errors("model a {\n  x = 1e\n  y = 12kk\n  z = 3x\n  w = 1e999\n  v = 2.\n}"), [
    "MOT005 2:7 2 '1e' is not a valid number",
    "MOT005 3:7 4 '12kk' is not a valid number",
    "MOT005 4:7 2 '3x' is not a valid number",
    "MOT005 5:7 5 '1e999' is not a valid number",
    "MOT005 6:7 2 '2.' is not a valid number",
  ]);
});

test("MOT006: a string escape other than \\\" and \\\\", () => {
  assert.deepEqual(errors('model a { p = "a\\nb" }'), ["MOT006 1:17 2 unknown escape '\\n' in a string (only \\\" and \\\\ are allowed)"]);
});

test("MOT003: expected X, found Y, at the offending token", () => {
  const cases: [string, string[]][] = [
    ["model a {\n  attention(heads = )\n}", ["MOT003 2:21 1 expected an expression, found ')'"]],
    ["model a {\n  x = 1\n", ["MOT003 2:8 1 expected a key, a layer, 'let', 'repeat', 'replace' or '}', found end of file"]],
    ["model {}", ["MOT003 1:7 1 expected a name, found '{'"]],
    ["model a extends { }", ["MOT003 1:17 1 expected a name, found '{'"]],
    ["model a { repeat 2 { x = 1 } }", ["MOT003 1:24 1 expected a layer, 'repeat' or '}', found '='"]],
    ["model a { replace mot ff() }", ["MOT003 1:23 2 expected 'with', found 'ff'"]],
    ["model a { q = - - 1 }", ["MOT003 1:17 1 expected an expression, found '-'"]],
    ["model a {\n  mot(experts = 4 group = 2)\n}", ["MOT003 2:19 5 expected ',' or ')', found 'group'", "MOT003 2:28 1 expected a key, a layer, 'let', 'repeat', 'replace' or '}', found ')'"]],
    ["model a {\n  ff(size = 1,, activation = relu)\n}", ["MOT003 2:15 1 expected an argument or ')', found ','", "MOT003 2:34 1 expected a key, a layer, 'let', 'repeat', 'replace' or '}', found ')'"]],
    ["train t { ff }", ["MOT003 1:14 1 expected '=', found '}'"]],
    ["junk\nmodel a {}", ["MOT003 1:1 4 expected 'model' or 'train', found 'junk'"]],
    ["version\nmodel a {}", ["MOT003 2:1 5 expected a number, found 'model'"]],
    ["model a {}\nversion 1", ["MOT003 2:1 7 expected 'model' or 'train', found 'version'"]],
  ];
  for (const [text, expected] of cases) assert.deepEqual(errors(text), expected, text);
});

test("a file with many errors reports every one, in order, and keeps what it could read", () => {
  const text = readFileSync(`${repoRoot}test/fixtures/syntax/many_errors.mot`, "utf8");
  assert.deepEqual(errors(text), [
    "MOT001 2:17 1 unexpected character '$'",
    "MOT002 3:10 13 unterminated string",
    "MOT005 4:13 4 '12kk' is not a valid number",
    "MOT003 5:21 1 expected an expression, found ')'",
    "MOT003 6:11 2 expected a key, a layer, 'let', 'repeat', 'replace' or '}', found number '64'",
    "MOT003 9:17 1 expected a name, found '{'",
    "MOT005 10:13 2 '1e' is not a valid number",
    "MOT003 14:13 1 expected a key, 'let' or '}', found number '2'",
    "MOT006 15:13 2 unknown escape '\\q' in a string (only \\\" and \\\\ are allowed)",
  ]);
  const { spec } = parseSpec({ path: "e.mot", text });
  assert.deepEqual(
    spec.decls.map((d) => `${d.kind} ${d.name.name}: ${d.body.map((s) => (s.kind === "assign" ? s.key.name : s.kind === "layer" ? `${s.name.name}()` : s.kind)).join(" ")}`),
    ["model a: vocab name context attention() d_model()", "model b: ff()", "train a: lr steps"],
  );
});

test("diagnostics render with the source line and a caret under the span", () => {
  const text = "model a {\n  context = 12kk\n}\n";
  const [d] = parseSpec({ path: "e.mot", text }).diagnostics;
  assert.equal(
    formatDiagnostic(d, { path: "e.mot", text }),
    ["e.mot:2:13: error MOT005: '12kk' is not a valid number", " 2 |   context = 12kk", "   |             ^^^^"].join("\n"),
  );
});

test("random damage never throws and every diagnostic has a position inside the file", () => {
  const base = readFileSync(`${repoRoot}test/fixtures/syntax/language_example.mot`, "utf8");
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = 'abz_09.e%kMG"\\#(){}=,+-*/ \n\t@é';
  for (let round = 0; round < 300; round++) {
    const chars = [...base];
    for (let edits = 1 + random(4); edits > 0; edits--) {
      const at = random(chars.length);
      const kind = random(3);
      if (kind === 0) chars.splice(at, 1 + random(5));
      else if (kind === 1) chars.splice(at, 0, alphabet[random(alphabet.length)]);
      else chars.splice(at, 0, ...chars.slice(random(chars.length), random(chars.length)));
    }
    const text = chars.join("");
    const { diagnostics } = parseSpec({ path: "r.mot", text });
    for (const d of diagnostics) {
      assert.ok(d.span && d.span.line >= 1 && d.span.col >= 1 && d.span.offset <= text.length, `${d.code} ${JSON.stringify(d.span)}\n${text}`);
      assert.ok(Number.isFinite(d.span.offset) && d.span.length >= 1);
    }
  }
});

test("MOT007: brackets nested past the limit are one diagnostic, not a stack overflow", () => {
  const depth = 5000;
  const text = `model a {\n  x = ${"(".repeat(depth)}1${")".repeat(depth)}\n}\n`;
  // The model's `{` is level 1, so the 100th `(` is level 101.
  assert.deepEqual(errors(text), ["MOT007 2:106 1 brackets nest more than 100 deep here"]);
  const repeats = `model a {\n${"repeat 1 {\n".repeat(200)}ff\n${"}\n".repeat(200)}}\n`;
  assert.deepEqual(errors(repeats), ["MOT007 101:10 1 brackets nest more than 100 deep here"]);
  // Just under the limit parses.
  assert.deepEqual(errors(`model a { x = ${"(".repeat(99)}1${")".repeat(99)} }`), []);
});
