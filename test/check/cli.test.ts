// `motc check` as a user runs it: silence and exit 0 on clean specs; on errors,
// every diagnostic in the one format on stderr, exit 1, and no stack trace.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot, runMotc } from "../support/cli.js";

test("motc check on every spec in specs/ is silent and exits 0", () => {
  const specs = readdirSync(join(repoRoot, "specs")).filter((name) => name.endsWith(".mot")).map((name) => `specs/${name}`);
  const result = runMotc(["check", ...specs]);
  assert.deepEqual([result.code, result.stdout, result.stderr], [0, "", ""]);
});

test("motc check reports every error of a spec and exits 1", () => {
  const result = runMotc(["check", "test/fixtures/check/errors/many.mot"]);
  assert.equal(result.code, 1);
  const headers = result.stderr.split("\n").filter((line) => line.startsWith("test/fixtures/"));
  assert.deepEqual(headers.map((line) => line.split(": ").slice(0, 2).join(": ")), [
    "test/fixtures/check/errors/many.mot:6:31: error MOT012",
    "test/fixtures/check/errors/many.mot:7:38: error MOT014",
    "test/fixtures/check/errors/many.mot:8:21: error MOT026",
    "test/fixtures/check/errors/many.mot:12:7: warning MOT100",
    "test/fixtures/check/errors/many.mot:19:22: error MOT015",
    "test/fixtures/check/errors/many.mot:22:11: error MOT025",
    "test/fixtures/check/errors/many.mot:24:8: error MOT013",
  ]);
  assert.match(result.stderr, / 6 \| {3}mot\(experts = 8, group = 4, tmp = 2\.0\)\n {3}\| {31}\^\^\^\n {2}hint: did you mean 'temp'\?/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, "no stack trace");
});
