// The grammar passes Chevrotain's own checks (no left recursion, no ambiguous
// alternatives within LL(2)), which the shipped parser skips for a fast start.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MotParser, motParser } from "../../grammar/parser.js";
import { Lexer } from "../../grammar/chevrotain.js";
import { allTokens } from "../../grammar/tokens.js";

test("the parser passes Chevrotain's grammar validations", () => {
  assert.doesNotThrow(() => new MotParser({ validate: true }));
});

test("the lexer passes Chevrotain's validations and its first-character optimisation applies", () => {
  const lexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: true });
  assert.deepEqual(lexer.lexerDefinitionErrors, []);
});

test("the serialized grammar has the rules of LANGUAGE.md's EBNF", () => {
  const rules = motParser.getSerializedGastProductions().map((rule) => ("name" in rule ? String(rule.name) : ""));
  for (const rule of ["file", "model", "train", "assign", "let", "layer", "repeat", "replace", "args", "arg", "expr", "term", "unary", "atom", "call"]) {
    assert.ok(rules.includes(rule), `missing rule ${rule}`);
  }
});
