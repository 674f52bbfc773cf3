// The motc users run is package.json's `bin`: esbuild's bundle of tsc's output
// (npm run build). Every other test runs tsc's output directly; this one holds
// the bundle to the same behaviour — same bytes out, same exit codes, the heavy
// commands' chunks included — and fails when the bundle is stale or missing.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { motcBin, motcBundle, repoRoot, runMotc } from "../support/cli.js";

const packageJson = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { bin: Record<string, string> };

test("package.json's bin is the bundle, built after tsc's output", () => {
  assert.equal(join(repoRoot, packageJson.bin.motc), motcBundle);
  let bundled: number;
  try {
    bundled = statSync(motcBundle).mtimeMs;
  } catch {
    assert.fail("no bundle: run `npm run build`");
  }
  assert.ok(bundled >= statSync(motcBin).mtimeMs, "the bundle is older than tsc's output: run `npm run build`");
});

const cases: Array<[string, string[]]> = [
  ["check, clean", ["check", "specs/mot_paper.mot"]],
  ["check, errors", ["check", "test/fixtures/check/errors/many.mot"]],
  ["fmt", ["fmt", "specs/tiny.mot"]],
  ["explain --json", ["explain", "specs/mot_paper.mot", "--json"]],
  ["summary", ["summary", "specs/tiny.mot"]],
  ["--help", ["--help"]],
  ["--version", ["--version"]],
  ["usage error", ["check"]],
  ["unknown command", ["frobnicate"]],
];

for (const [name, args] of cases) {
  test(`the bundle and tsc's output agree: ${name}`, () => {
    const plain = runMotc(args);
    const bundled = runMotc(args, { bin: motcBundle });
    assert.deepEqual(bundled, plain);
  });
}

test("the bundle compiles ONNX byte for byte as tsc's output does (a lazily loaded chunk)", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-bundle-"));
  try {
    const plain = runMotc(["compile", "specs/tiny.mot", "--out", join(dir, "plain")]);
    const bundled = runMotc(["compile", "specs/tiny.mot", "--out", join(dir, "bundled")], { bin: motcBundle });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.ok(readFileSync(join(dir, "bundled", "tiny.onnx")).equals(readFileSync(join(dir, "plain", "tiny.onnx"))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
