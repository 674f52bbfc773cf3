// The shipped examples are what `motc fmt` writes: every spec in specs/ and
// the .mot example in README.md's "The language" are canonical, and the
// README's example checks clean (issue 11, item 22).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { formatSpec } from "../../src/syntax/format.js";
import { repoRoot, runMotc } from "../support/cli.js";

test("motc fmt --check specs/*.mot exits 0", () => {
  const specs = readdirSync(join(repoRoot, "specs")).filter((name) => name.endsWith(".mot")).map((name) => `specs/${name}`);
  assert.ok(specs.length >= 6);
  assert.deepEqual(runMotc(["fmt", "--check", ...specs]), { code: 0, stdout: "", stderr: "" });
});

test("README.md's language example checks clean and is canonical", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## The language"));
  const example = /```\n([^]*?)```/.exec(section)?.[1] ?? "";
  assert.ok(example.includes("version 1") && example.includes("model mot_paper"), "the example block was not found");
  const result = checkSpec({ path: "README.md", text: example });
  assert.deepEqual(result.diagnostics.map((d) => `${d.code} ${d.message}`), []);
  assert.deepEqual(result.models.map((m) => m.name), ["mot_paper", "dense_paper"]);
  assert.equal(formatSpec({ path: "README.md", text: example }).text, example);
});
