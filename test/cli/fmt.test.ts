// motc fmt as a user runs it: stdout, --check exit codes, --write rewriting
// only files that change (atomically), and refusing files with syntax errors.
import assert from "node:assert/strict";
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { spawnSync } from "node:child_process";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";

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

test("fmt --write keeps bytes that are not UTF-8 byte for byte (a Latin-1 é in a comment) (issue 11, item 6)", () => {
  const latin1 = (text: string) => Buffer.from(text, "latin1");
  const path = join(dir, "latin1.mot");
  writeFileSync(path, latin1("# caf\xe9 au lait\nmodel a {  # na\xefve\n  vocab   = 8\n  ff( )\n}"));
  const result = runMotc(["fmt", "--write", path]);
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  assert.deepEqual(readFileSync(path), latin1("# caf\xe9 au lait\nmodel a { # na\xefve\n  vocab = 8\n  ff()\n}\n"));
  // Now canonical; fmt to stdout gives the same bytes, and --check passes.
  assert.equal(runMotc(["fmt", "--check", path]).code, 0);
  const printed = spawnMotcBytes(["fmt", path]);
  assert.deepEqual(printed, readFileSync(path));
  // Outside a comment such a byte is an error, shown escaped; the file is left alone.
  writeFileSync(path, latin1("model a {\n  vocab = 8\xe9\n}\n"));
  const bad = runMotc(["fmt", "--write", path]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /:2:12: error MOT001: unexpected character '\\xE9'\n 2 \|   vocab = 8\\xE9\n   \| {12}\^{4}\n/);
  assert.deepEqual(readFileSync(path), latin1("model a {\n  vocab = 8\xe9\n}\n"));
});

test("fmt --write follows a symbolic link: the target is formatted, the link stays a link; the mode is kept", () => {
  const target = file("target.mot", messy);
  chmodSync(target, 0o600);
  const link = join(dir, "link.mot");
  symlinkSync("target.mot", link);
  const result = runMotc(["fmt", "--write", link]);
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readlinkSync(link), "target.mot");
  assert.equal(readFileSync(target, "utf8"), canonical);
  assert.equal(statSync(target).mode & 0o7777, 0o600);
  assert.deepEqual(readdirSync(dir).filter((name) => name.includes(".tmp")), []);
});

test("fmt --write and --check take every file: a missing one is reported on its own line, exit 1 (issue 11, item 21)", () => {
  const first = file("every-1.mot", messy);
  const second = file("every-2.mot", messy);
  const missing = join(dir, "missing.mot");
  const result = runMotc(["fmt", "--write", first, missing, second]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `motc: error MOT201: cannot read ${missing}: no such file or directory\n`);
  assert.equal(readFileSync(first, "utf8"), canonical);
  assert.equal(readFileSync(second, "utf8"), canonical);
  const check = runMotc(["fmt", "--check", missing, file("every-3.mot", messy)]);
  assert.equal(check.code, 1);
  assert.equal(check.stderr, `motc: error MOT201: cannot read ${missing}: no such file or directory\n${join(dir, "every-3.mot")}\n`);
});

/** stdout as bytes: fmt writes a spec's bytes back as they were. */
function spawnMotcBytes(args: string[]): Buffer {
  return spawnSync(process.execPath, [motcBin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } }).stdout;
}
