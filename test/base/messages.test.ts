// The message table (src/base/messages.ts) against the code and the tests: every
// code is thrown or reported somewhere in src/ or grammar/, and every code is
// provoked by some test (which names it), so that no message is dead and none
// goes untested. Also the table's own rules: codes in their documented ranges,
// placeholders numbered from {0} without gaps, exit codes as README.md says.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { UserError, formatUserError } from "../../src/base/errors.js";
import { counted, exitCodeOf, formatMessage, messageLine, messages, type MessageCode } from "../../src/base/messages.js";
import { repoRoot } from "../support/cli.js";

const codes = Object.keys(messages) as MessageCode[];

/** The .ts files under `dir` (relative to the repository root), with their text. */
function sources(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) out.push({ path: relative(repoRoot, full), text: readFileSync(full, "utf8") });
    }
  };
  walk(join(repoRoot, dir));
  return out;
}

test("every code in the table is used in src/ or grammar/, quoted as a literal", () => {
  const code = [...sources("src"), ...sources("grammar")].filter((f) => f.path !== join("src", "base", "messages.ts"));
  assert.ok(code.length > 50, `only ${code.length} source files found under ${repoRoot}`);
  const unused = codes.filter((c) => !code.some((f) => f.text.includes(`"${c}"`)));
  assert.deepEqual(unused, [], `codes no source file uses: ${unused.join(", ")}`);
});

test("every code in the table appears in a test, which provokes it", () => {
  const tests = sources("test").filter((f) => f.path !== join("test", "base", "messages.test.ts"));
  assert.ok(tests.length > 50, `only ${tests.length} test files found under ${repoRoot}`);
  const untested = codes.filter((c) => !tests.some((f) => new RegExp(`\\b${c}\\b`).test(f.text)));
  assert.deepEqual(untested, [], `codes no test names: ${untested.join(", ")}`);
});

test("codes sit in their documented ranges; MOT8xx stays free", () => {
  for (const code of codes) {
    const n = Number(code.slice(3));
    assert.match(code, /^MOT\d{3}$/);
    const { severity } = messages[code];
    if (n < 100) assert.equal(severity, "error", code);
    else if (n < 200) assert.equal(severity, "warning", code);
    else if (n >= 600 && n < 700) assert.equal(severity, n < 650 ? "error" : "warning", code); // datasets, their warnings from 650
    else assert.ok(severity === "error" && Math.floor(n / 100) !== 8, `${code} is outside the documented ranges`);
  }
});

test("placeholders are numbered {0}, {1}, … without gaps", () => {
  for (const code of codes) {
    const used = [...messages[code].text.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1]));
    const count = used.length === 0 ? 0 : Math.max(...used) + 1;
    for (let i = 0; i < count; i++) assert.ok(used.includes(i), `${code} skips {${i}}: ${messages[code].text}`);
  }
});

test("exit codes: 1 for errors, 2 for usage, 130 for an interrupt, 70 for an internal error", () => {
  const exits = new Map(codes.map((c) => [c, exitCodeOf(c)]));
  assert.deepEqual(new Set(exits.values()), new Set([1, 2, 70, 130]));
  assert.equal(exits.get("MOT503"), 130);
  assert.equal(exits.get("MOT900"), 70);
  for (const code of ["MOT200", "MOT210", "MOT211", "MOT212", "MOT213", "MOT214", "MOT215", "MOT220"] as const) assert.equal(exits.get(code), 2, code);
  assert.equal(exits.get("MOT201"), 1);
});

test("one formatter: placeholders filled (a reused one twice), colour only when asked", () => {
  assert.equal(formatMessage("MOT234", ["HEAD:b.mot", "b.mot", "HEAD"]),
    "HEAD:b.mot: 'b.mot' does not exist in revision 'HEAD' (paths are from the repository root; use 'HEAD:./b.mot' for one relative to here)");
  // `{ ... }` in a message is text, not a placeholder.
  assert.equal(formatMessage("MOT501", ["tiny"]), "model 'tiny' has no train recipe: add 'train tiny { ... }' to the spec, or pass --steps, --batch and --lr");
  const error = new UserError("MOT201", ["out/x.onnx", "no such file or directory"]);
  assert.equal(error.code, "MOT201");
  assert.equal(error.exitCode, 1);
  assert.equal(error.message, "cannot read out/x.onnx: no such file or directory");
  assert.equal(formatUserError(error), "motc: error MOT201: cannot read out/x.onnx: no such file or directory");
  assert.equal(formatUserError(error, true), "\x1b[1mmotc: \x1b[0m\x1b[1;31merror\x1b[0m MOT201: cannot read out/x.onnx: no such file or directory");
  assert.equal(messageLine("a.mot:1:2: ", "warning", "MOT100", "let constant 'x' is never used"), "a.mot:1:2: warning MOT100: let constant 'x' is never used");
  assert.equal(formatUserError(new UserError("MOT200", ["chekc"], { hint: "did you mean 'check'?" })), "motc: error MOT200: unknown command 'chekc'\n  hint: did you mean 'check'?");
  assert.equal(new UserError("MOT224", [], { exitCode: 2 }).exitCode, 2);
  assert.equal(counted(1, "error"), "1 error");
  assert.equal(counted(2, "error"), "2 errors");
});
