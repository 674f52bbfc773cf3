// The formatter: its canonical form on a messy file, idempotence and
// meaning preservation on every spec and fixture, and refusal on syntax errors.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { hasErrors } from "../../src/syntax/diagnostics.js";
import { formatSpec, sameTree } from "../../src/syntax/format.js";
import { parseSpec } from "../../src/syntax/parse.js";
import { repoRoot } from "../support/cli.js";
import { motFiles, withoutSpans } from "./helpers.js";

const format = (text: string): string => {
  const result = formatSpec({ path: "f.mot", text });
  assert.deepEqual(result.diagnostics, []);
  return result.text;
};

test("a messy file takes the canonical form", () => {
  const messy = readFileSync(`${repoRoot}test/fixtures/syntax/messy.mot`, "utf8");
  assert.equal(
    format(messy),
    `# head comment

#another
version 1 # v

# before a
model a extends b { # open
  # first

  x = 1
  y = -2 * (3 + 4) # trailing y

  # inside
  ff(a = 1, b = "s\\"q")
  repeat 2 * n {
    repeat 3 {
      ff
    } # after inner close
  }
  # before close
}

model empty {}

model empty2 {}

train a {
  lr = 1e-3
} # after train

# end comment
`,
  );
});

test("aligned '=' and trailing-comment padding collapse to single spaces", () => {
  assert.equal(
    format("model m {\n  vocab   = 50257\n  d_ff    = 4*d_model          # why\n}\n"),
    "model m {\n  vocab = 50257\n  d_ff = 4 * d_model # why\n}\n",
  );
});

test("numbers, strings, names and parentheses stay exactly as written", () => {
  const text = 'train t {\n  a = 250k\n  b = 1.5E+2\n  c = 10%\n  d = "x\\\\y"\n  e = ((1 + 2)) * -(3)\n  f = cosine(final = 10%)\n}\n';
  assert.equal(format(text), text);
});

test("layers keep or omit their parentheses; trailing commas go; one statement per line", () => {
  assert.equal(
    format("model m { embed ff() mot(experts=4,group=2,) head(tied=true) }"),
    "model m {\n  embed\n  ff()\n  mot(experts = 4, group = 2)\n  head(tied = true)\n}\n",
  );
});

test("blank lines: runs collapse to one, none after '{' or before '}', one between declarations", () => {
  assert.equal(
    format("\n\nmodel a {\n\n\n  x = 1\n\n\n\n  y = 2\n\n}\ntrain a {\n  z = 3\n}\n\n\n"),
    "model a {\n  x = 1\n\n  y = 2\n}\n\ntrain a {\n  z = 3\n}\n",
  );
  assert.equal(format(""), "");
  assert.equal(format("version 1 model a {}"), "version 1\n\nmodel a {}\n");
});

test("a comment inside a statement folded onto one line moves above it", () => {
  assert.equal(
    format("model m {\n  mot(experts = 4, # many\n      group = 2) # few\n}\n"),
    "model m {\n  # many\n  mot(experts = 4, group = 2) # few\n}\n",
  );
});

test("a file with syntax errors is not formatted", () => {
  const text = "model a {\n  x = \n}\n";
  const result = formatSpec({ path: "bad.mot", text });
  assert.equal(result.text, text);
  assert.ok(hasErrors(result.diagnostics));
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.span?.line, d.span?.col]), [["MOT003", 3, 1]]);
});

test("every spec and fixture: fmt is idempotent and keeps the tree (modulo spans) and every comment", () => {
  const files = [...motFiles(`${repoRoot}specs`), ...motFiles(`${repoRoot}test/fixtures`)];
  assert.ok(files.length >= 8, `found only ${files.length} .mot files`);
  let formatted = 0;
  for (const path of files) {
    const text = readFileSync(path, "utf8");
    const before = parseSpec({ path, text });
    const once = formatSpec({ path, text });
    if (hasErrors(before.diagnostics)) {
      assert.equal(once.text, text, `${path}: a file with errors must come back unchanged`);
      continue;
    }
    const twice = formatSpec({ path, text: once.text });
    assert.equal(twice.text, once.text, `${path}: not idempotent`);
    const after = parseSpec({ path, text: once.text });
    assert.deepEqual(after.diagnostics, [], `${path}: formatted text does not parse`);
    assert.deepEqual(withoutSpans(after.spec.decls), withoutSpans(before.spec.decls), `${path}: the tree changed`);
    assert.deepEqual(withoutSpans(after.spec.version), withoutSpans(before.spec.version), `${path}: version changed`);
    assert.deepEqual(after.spec.comments.map((c) => c.text), before.spec.comments.map((c) => c.text.trimEnd()), `${path}: comments changed`);
    formatted++;
  }
  assert.ok(formatted >= 7, `only ${formatted} files were formatted`);
});

test("random whitespace and comments added to the example: fmt is idempotent and keeps the tree", () => {
  const base = readFileSync(`${repoRoot}test/fixtures/syntax/language_example.mot`, "utf8");
  const inserts = [" ", "\n", "\n\n\n", "\t", "# note\n", "\n# own line\n\n"];
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let checked = 0;
  for (let round = 0; round < 200; round++) {
    let text = base;
    for (let edits = 1 + random(6); edits > 0; edits--) {
      const at = random(text.length);
      if (!/\s/.test(text[at])) continue; // between tokens only
      text = text.slice(0, at) + inserts[random(inserts.length)] + text.slice(at);
    }
    const before = parseSpec({ path: "r.mot", text });
    if (hasErrors(before.diagnostics)) continue; // a comment swallowed code
    const once = format(text);
    assert.equal(format(once), once, `not idempotent:\n${text}`);
    const after = parseSpec({ path: "r.mot", text: once });
    assert.deepEqual(withoutSpans(after.spec.decls), withoutSpans(before.spec.decls), text);
    assert.equal(after.spec.comments.length, before.spec.comments.length, text);
    checked++;
  }
  assert.ok(checked > 100, `only ${checked} mutated files parsed`);
});

test("a chain of 20,000 terms formats without exhausting the stack", () => {
  const text = `train t {\n  x = 1${" - 1".repeat(20000)}\n}\n`;
  assert.equal(format(text), text);
});

test("fmt's meaning guard: sameTree ignores spans and layout, and sees any other difference", () => {
  const tree = (text: string) => parseSpec({ path: "g.mot", text }).spec;
  const base = tree("model a {\n  x = (1 + 2) * 3 # c\n  ff()\n}");
  assert.ok(sameTree(tree("model a { x = (1+2)*3 # c\n ff() }"), base));
  for (const other of [
    "model a { x = 1 + 2 * 3 # c\n ff() }", // parentheses dropped
    "model a { x = (1 + 2) * 3.0 # c\n ff() }", // number written differently
    "model a { x = (1 + 2) * 3 # c\n ff }", // parentheses of a layer
    "model a { x = (1 + 2) * 3 # d\n ff() }", // comment text
    "model b { x = (1 + 2) * 3 # c\n ff() }", // name
  ]) {
    assert.equal(sameTree(tree(other), base), false, other);
  }
});
