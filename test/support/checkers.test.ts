// The rule of checkers.ts, run as node's test runner runs it: a test whose
// independent checker is missing skips with the reason, except under CI, where
// it fails naming what is missing. MOTC_TEST_PYTHON and MOTC_TEST_CHROMIUM hide
// the real ones.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const scratch = mkdtempSync(join(tmpdir(), "motc-checkers-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a one-test file that needs `checker` under node --test with `env`; its exit code and TAP output. */
function runNeeding(checker: string, env: Record<string, string | undefined>): { code: number | null; output: string } {
  const file = join(scratch, `${checker}.test.mjs`);
  writeFileSync(file, [
    `import { test } from "node:test";`,
    `import { requireChecker } from ${JSON.stringify(new URL("./checkers.js", import.meta.url).href)};`,
    `test("needs ${checker}", (t) => {`,
    `  if (!requireChecker(t, ${JSON.stringify(checker)})) return;`,
    `  console.log("# ran with ${checker}");`,
    `});`,
  ].join("\n"));
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.NODE_TEST_CONTEXT; // a test runner of its own, not a child of this one
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const result = spawnSync(process.execPath, ["--test", "--test-reporter=tap", file], { encoding: "utf8", env: childEnv, timeout: 60_000 });
  return { code: result.status, output: result.stdout + result.stderr };
}

test("outside CI, a missing python3-torch or chromium skips the test and says why", () => {
  const torch = runNeeding("python3-torch", { CI: undefined, MOTC_TEST_PYTHON: "/nonexistent" });
  assert.equal(torch.code, 0, torch.output);
  assert.match(torch.output, /^ok 1 - needs python3-torch # SKIP python3-torch is missing: \/nonexistent cannot run \(spawnSync \/nonexistent ENOENT\)$/m);
  const browser = runNeeding("chromium", { CI: "false", MOTC_TEST_CHROMIUM: "/nonexistent" });
  assert.equal(browser.code, 0, browser.output);
  assert.match(browser.output, /^ok 1 - needs chromium # SKIP chromium is missing: \/nonexistent is not installed$/m);
});

test("under CI, a missing checker fails the test, naming it", () => {
  for (const checker of ["python3-onnx", "python3-torch"]) {
    const run = runNeeding(checker, { CI: "true", MOTC_TEST_PYTHON: "/nonexistent" });
    assert.equal(run.code, 1, run.output);
    assert.match(run.output, /^not ok 1 - needs python3-/m);
    assert.ok(run.output.includes(`${checker} is missing, and under CI the independent check it makes cannot be skipped: /nonexistent cannot run`), run.output);
  }
  const browser = runNeeding("chromium", { CI: "1", MOTC_TEST_CHROMIUM: "/nonexistent" });
  assert.equal(browser.code, 1, browser.output);
  assert.ok(browser.output.includes("chromium is missing, and under CI the independent check it makes cannot be skipped: /nonexistent is not installed"));
});

test("a python that cannot import the module is missing too, with the last line it wrote", () => {
  // This node binary stands in for a python that cannot import onnx: it exits non-zero on `-c`.
  const run = runNeeding("python3-onnx", { CI: "true", MOTC_TEST_PYTHON: process.execPath });
  assert.equal(run.code, 1, run.output);
  assert.ok(run.output.includes(`python3-onnx is missing, and under CI the independent check it makes cannot be skipped: ${process.execPath} cannot import onnx`), run.output);
});
