// motc fmt as a user runs it: stdout, --check exit codes, --write rewriting
// only files that change (atomically), and refusing files with syntax errors.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runMotc } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "motc-fmt-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const canonical = "model a {\n  vocab = 8\n  ff()\n}\n";
const messy = "model a {\n  vocab   = 8\n  ff( )\n}";
const broken = "model a {\n  vocab = \n}\n";

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test("fmt prints the canonical form on stdout and leaves the file alone", () => {
  const path = file("print.mot", messy);
  const result = runMotc(["fmt", path]);
  assert.deepEqual([result.code, result.stdout, result.stderr], [0, canonical, ""]);
  assert.equal(readFileSync(path, "utf8"), messy);
});

test("fmt --check: exit 0 when canonical, 1 with the names of the files that are not", () => {
  const good = file("good.mot", canonical);
  const bad = file("bad.mot", messy);
  assert.deepEqual(runMotc(["fmt", "--check", good]), { code: 0, stdout: "", stderr: "" });
  const result = runMotc(["fmt", "--check", good, bad]);
  assert.deepEqual([result.code, result.stdout, result.stderr], [1, "", `${bad}\n`]);
  assert.equal(readFileSync(bad, "utf8"), messy);
});

test("fmt --write rewrites only the files that change, with no temporary file left", () => {
  const good = file("w-good.mot", canonical);
  const bad = file("w-bad.mot", messy);
  const goodBefore = statSync(good);
  const badBefore = statSync(bad);
  const result = runMotc(["fmt", "--write", good, bad]);
  assert.deepEqual([result.code, result.stdout, result.stderr], [0, "", ""]);
  assert.equal(readFileSync(bad, "utf8"), canonical);
  assert.equal(readFileSync(good, "utf8"), canonical);
  // The unchanged file was not touched; the changed one was replaced by a rename (new inode).
  assert.deepEqual([statSync(good).mtimeMs, statSync(good).ino], [goodBefore.mtimeMs, goodBefore.ino]);
  assert.notEqual(statSync(bad).ino, badBefore.ino);
  assert.deepEqual(readdirSync(dir).filter((name) => name.includes(".tmp")), []);
  assert.deepEqual(runMotc(["fmt", "--check", good, bad]).code, 0);
});

test("syntax errors: diagnostics on stderr, exit 1, file untouched (also with --write)", () => {
  const path = file("broken.mot", broken);
  for (const flags of [[], ["--write"], ["--check"]]) {
    const result = runMotc(["fmt", ...flags, path]);
    assert.equal(result.code, 1, flags.join(" "));
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:1: error MOT003: expected an expression, found '}'`));
    assert.equal(readFileSync(path, "utf8"), broken);
  }
});

test("--write with --check is a usage error (exit 2)", () => {
  const path = file("usage.mot", messy);
  const result = runMotc(["fmt", "--write", "--check", path]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "motc: error MOT222: --write and --check cannot be used together\n");
  assert.equal(readFileSync(path, "utf8"), messy);
});
