// `motc check` as a user runs it: silence and exit 0 on clean specs; on errors,
// every diagnostic in the one format on stderr, exit 1, and no stack trace.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
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

const scratch = mkdtempSync(join(tmpdir(), "motc-check-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("check reports every file: a missing one on its own line, the rest still checked, exit 1 (issue 11, item 21)", () => {
  const bad = join(scratch, "bad.mot");
  writeFileSync(bad, "model m {\n  vocab = x\n}\n");
  const result = runMotc(["check", "specs/tiny.mot", "missing.mot", bad, "specs/ff.mot", scratch]);
  assert.equal(result.code, 1);
  const lines = result.stderr.split("\n").filter((line) => /(error|warning) MOT/.test(line));
  assert.deepEqual(lines, [
    "motc: error MOT201: cannot read missing.mot: no such file or directory",
    `${bad}:1:7: error MOT022: missing required key 'context' in model 'm'`,
    `${bad}:1:7: error MOT022: missing required key 'd_model' in model 'm'`,
    `${bad}:1:7: error MOT031: model 'm' has no embed layer`,
    `${bad}:1:7: error MOT031: model 'm' has no head layer`,
    `${bad}:2:11: error MOT013: unknown name 'x'`,
    `motc: error MOT204: ${scratch} is a directory, not a regular file`,
  ]);
  // All good files: exit 0, nothing printed.
  assert.deepEqual(runMotc(["check", "specs/tiny.mot", "specs/ff.mot"]), { code: 0, stdout: "", stderr: "" });
});

test("check refuses /dev/zero, a FIFO and an oversized spec at once, with one coded line each (issue 11, item 11)", () => {
  const fifo = join(scratch, "fifo.mot");
  spawnSync("mkfifo", [fifo]);
  const big = join(scratch, "big.mot");
  writeFileSync(big, `# ${"x".repeat(2 ** 20)}\n`);
  const started = performance.now();
  const result = runMotc(["check", "/dev/zero", fifo, big], { timeoutMs: 20_000 });
  assert.ok(performance.now() - started < 15_000, "refused without reading");
  assert.equal(result.code, 1);
  assert.equal(result.stderr, [
    "motc: error MOT204: /dev/zero is a character device, not a regular file",
    `motc: error MOT204: ${fifo} is a FIFO (named pipe), not a regular file`,
    `motc: error MOT205: ${big} is 1,048,579 bytes: a spec may be at most 1,048,576 bytes`,
    "",
  ].join("\n"));
  // Every command reads specs the same way.
  for (const command of [["explain"], ["compile", "--out", scratch], ["summary"], ["fmt"]]) {
    const refused = runMotc([...command, big]);
    assert.equal(refused.code, 1, command.join(" "));
    assert.match(refused.stderr, /^motc: error MOT205: /, command.join(" "));
  }
});

test("control characters in a spec are shown, not sent to the terminal (issue 11, item 19)", () => {
  const path = join(scratch, "escape.mot");
  writeFileSync(path, "model m {\n  vocab = 10 \x1b]0;pwned\x07 \x1b[2J\n}\n");
  const result = runMotc(["check", path]);
  assert.equal(result.code, 1);
  assert.doesNotMatch(result.stderr, /[\x00-\x09\x0b-\x1f\x7f]/);
  assert.match(result.stderr, new RegExp(`${path}:2:14: error MOT001: unexpected character '␛\\]'\n 2 \\|   vocab = 10 ␛\\]0;pwned␇ ␛\\[2J\n   \\| {14}\\^\\^\n`));
});
