// How a failed command ends (src/cli/failure.ts): commander's usage errors in
// motc's coded format with exit 2, a UserError as its one line, and anything
// else — a bug — as MOT900 with exit 70, never a bare stack trace.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CommanderError } from "commander";
import { UserError } from "../../src/base/errors.js";
import { failure } from "../../src/cli/failure.js";
import { runMotc } from "../support/cli.js";

const HINT = "(run 'motc --help' for usage)\n";

test("commander's usage errors print one coded line and the --help hint, and exit 2", () => {
  const cases: [string[], string][] = [
    [["frobnicate"], "motc: error MOT200: unknown command 'frobnicate'\n"],
    [["chekc", "specs/tiny.mot"], "motc: error MOT200: unknown command 'chekc'\n  hint: did you mean 'check'?\n"],
    [["check", "--bogus", "specs/tiny.mot"], "motc: error MOT210: unknown option '--bogus'\n"],
    [["train", "specs/tiny.mot", "--stpes", "3"], "motc: error MOT210: unknown option '--stpes'\n  hint: did you mean '--steps'?\n"],
    [["compile"], "motc: error MOT211: missing required argument 'file'\n"],
    [["compile", "specs/tiny.mot", "--out"], "motc: error MOT212: option '--out <dir>' needs a value\n"],
    [["transition", "specs/tiny.mot"], "motc: error MOT213: required option '--weights <dir>' not given\n"],
    [["compile", "specs/tiny.mot", "specs/ff.mot"], "motc: error MOT214: too many arguments for 'compile': it takes 1, got 2\n"],
    [["train", "specs/tiny.mot", "--steps", "0"], "motc: error MOT220: --steps must be a positive whole number, got '0'\n"],
    [["train", "specs/tiny.mot", "--lr", "-1"], "motc: error MOT220: --lr must be a positive number, got '-1'\n"],
    [["train", "specs/tiny.mot", "--seed", "x"], "motc: error MOT220: --seed must be a whole number >= 0, got 'x'\n"],
    [["train", "specs/tiny.mot", "--backend", "gpu"], "motc: error MOT220: --backend must be one of auto, tensorflow, webgpu, wasm, cpu, got 'gpu'\n"],
    [["summary", "specs/tiny.mot", "-f", "xml"], "motc: error MOT220: --format must be one of text, markdown, json, got 'xml'\n"],
  ];
  for (const [args, stderr] of cases) {
    const result = runMotc(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stderr, stderr + HINT, args.join(" "));
    assert.equal(result.stdout, "");
  }
});

test("an empty output path is a usage error, never the current directory (issue 11, item 23)", () => {
  const cases: string[][] = [
    ["compile", "specs/tiny.mot", "--out", ""],
    ["train", "specs/tiny.mot", "--out", ""],
    ["transition", "specs/tiny.mot", "--weights", "w", "--out", " "],
    ["graph", "specs/tiny.mot", "-o", ""],
    ["diff", "specs/tiny.mot", "specs/ff.mot", "-o", ""],
  ];
  for (const args of cases) {
    const result = runMotc(args);
    const flag = args[args.length - 2];
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stderr, `motc: error MOT220: ${flag === "-o" ? "--output" : flag} must be a non-empty path, got '${args[args.length - 1]}'\n${HINT}`, args.join(" "));
  }
});

test("--out naming an existing file: which path is in the way, in words (issue 11, item 23)", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-out-file-"));
  try {
    const file = join(dir, "out");
    writeFileSync(file, "");
    const result = runMotc(["compile", "specs/tiny.mot", "--out", file]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `motc: error MOT202: cannot write ${join(file, "tiny.onnx")}: ${file} is a file, not a directory\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no command: the help, then MOT215, exit 2; --help and --version exit 0 with no error", () => {
  const bare = runMotc([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: motc \[options\] \[command\]\n[^]*\nmotc: error MOT215: no command given\n$/);
  const help = runMotc(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: motc /);
  assert.equal(help.stderr, "");
  const version = runMotc(["--version"]);
  assert.deepEqual([version.code, version.stderr], [0, ""]);
});

test("a command's own argument check: graph's output must be .svg or .html", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-graph-out-"));
  try {
    const output = join(dir, "tiny.png");
    const result = runMotc(["graph", "specs/tiny.mot", "-o", output]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `motc: error MOT240: ${output}: the output must end in .svg or .html\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a UserError is its coded line; colour marks the prefix and the severity only", () => {
  const error = new UserError("MOT201", ["x.mot", "no such file or directory"]);
  assert.deepEqual(failure(error, false), { text: "motc: error MOT201: cannot read x.mot: no such file or directory\n", exitCode: 1 });
  assert.deepEqual(failure(error, true), {
    text: "\x1b[1mmotc: \x1b[0m\x1b[1;31merror\x1b[0m MOT201: cannot read x.mot: no such file or directory\n",
    exitCode: 1,
  });
  assert.equal(failure(new UserError("MOT503", [7, "out/x"]), false).exitCode, 130);
});

test("anything else is a bug: MOT900, exit 70, a stack trace only with MOTC_DEBUG", () => {
  // What a bug looks like when it reaches main(): a plain Error from deep inside (here, a TypeError).
  let bug: unknown;
  try {
    (undefined as unknown as { layers: unknown[] }).layers.push(1);
  } catch (error) {
    bug = error;
  }
  const plain = failure(bug, false);
  assert.equal(plain.exitCode, 70);
  assert.match(plain.text, /^motc: error MOT900: internal error: Cannot read properties of undefined \(reading 'layers'\)\n\(please report this; set MOTC_DEBUG=1 for a stack trace\)\n$/);
  const debug = failure(bug, false, true);
  assert.match(debug.text, /^motc: error MOT900: internal error: TypeError: Cannot read properties of undefined \(reading 'layers'\)\n\s+at /);
  assert.equal(failure("a thrown string", false).text.split("\n")[0], "motc: error MOT900: internal error: a thrown string");
  // A commander error motc has no code for (a feature it does not use) is a bug too, not a silent exit.
  const conflicting = new CommanderError(1, "commander.conflictingOption", "error: option '--a' cannot be used with option '--b'");
  assert.deepEqual(failure(conflicting, false), {
    text: "motc: error MOT900: internal error: error: option '--a' cannot be used with option '--b'\n(please report this; set MOTC_DEBUG=1 for a stack trace)\n",
    exitCode: 70,
  });
});
