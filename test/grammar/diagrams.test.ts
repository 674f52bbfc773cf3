// The committed syntax diagrams match the parser, and they need no network.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { diagramsHtml, diagramsPath } from "../../grammar/diagrams.js";

test("grammar/diagrams.html is up to date with grammar/parser.ts (run `npm run diagrams`)", () => {
  const committed = readFileSync(diagramsPath, "utf8");
  assert.ok(committed === diagramsHtml(), "grammar/diagrams.html is stale: run `npm run diagrams` and commit it");
});

test("grammar/diagrams.html is self-contained: no external script, stylesheet or CDN", () => {
  const html = diagramsHtml();
  assert.doesNotMatch(html, /<script[^>]*\bsrc=/i);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /unpkg|cdn/i);
  // The grammar itself is in the page: every rule of the parser, by name.
  for (const rule of ["file", "model", "modelStatement", "train", "repeat", "replace", "args", "expr", "term", "unary", "atom", "call"]) {
    assert.match(html, new RegExp(`"name": "${rule}"`), rule);
  }
});
