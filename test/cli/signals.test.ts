// A command that writes, ended by a signal (src/cli/signals.ts): `compile`
// interrupted by SIGINT, SIGTERM or SIGHUP mid-write removes its temporary,
// prints one coded line and exits with the signal's status; one killed outright
// (SIGKILL, where no handler runs) leaves `NAME.onnx.PID.tmp`, which the next
// compile into that directory removes. The kill windows are hit exactly with
// MOTC_TEST_FAULT (src/base/faults.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { motcBin, repoRoot } from "../support/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "motc-signals-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function compile(out: string, fault?: string) {
  const env = { ...process.env, NO_COLOR: "1", MOTC_TEST_FAULT: fault ?? "" };
  return spawnSync(process.execPath, [motcBin, "compile", "specs/tiny.mot", "--out", out], { cwd: repoRoot, encoding: "utf8", env, timeout: 120_000 });
}

test("SIGINT, SIGTERM or SIGHUP mid-write: no temporary, no output, MOT206, exit 130 / 143 / 129", () => {
  for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    const out = join(scratch, signal);
    const result = compile(out, `write-chunk:${signal}`);
    assert.equal(result.status, status, `${signal}: ${result.stderr}`);
    assert.equal(result.stderr, `motc: error MOT206: interrupted by ${signal}: ${join(out, "tiny.onnx")} not written\n`);
    assert.equal(result.stdout, "");
    // The directory the write made is gone too: nothing at all is left behind.
    assert.equal(existsSync(out), false, `${signal} left ${existsSync(out) ? readdirSync(out).join(", ") : ""}`);
  }
});

test("SIGKILL between writing and renaming leaves a temporary; the next compile removes it and writes the model", () => {
  const out = join(scratch, "killed");
  const killed = compile(out, "before-rename");
  assert.equal(killed.signal, "SIGKILL");
  const left = readdirSync(out);
  assert.equal(left.length, 1);
  assert.match(left[0], /^tiny\.onnx\.\d+\.tmp$/);
  assert.equal(Number(left[0].split(".")[2]), killed.pid);
  const rerun = compile(out);
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.deepEqual(readdirSync(out), ["tiny.onnx"]);
  assert.ok(statSync(join(out, "tiny.onnx")).size > 1_000_000);
});

test("without a fault the compile is whole, with no temporary beside it", () => {
  const out = join(scratch, "whole");
  const result = compile(out);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(readdirSync(out), ["tiny.onnx"]);
});
