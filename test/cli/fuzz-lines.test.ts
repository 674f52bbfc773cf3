// Seeded, time-bounded fuzz of `check` and `fmt` over line endings: the
// shipped specs with CR-only, CRLF and mixed line breaks, then damaged (bytes
// deleted, inserted — line breaks, tabs, control characters, non-ASCII). For
// every diagnostic the position agrees with an independent count of lines
// (CR LF, a lone CR and a lone LF each end one), the echoed line is that line
// (control characters shown, not sent), and the caret lies inside it. A clean
// spec formats to the same canonical text whatever its line endings.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { printable } from "../../src/base/messages.js";
import { Random } from "../../src/ir/random.js";
import { formatDiagnostic } from "../../src/syntax/diagnostics.js";
import { formatSpec } from "../../src/syntax/format.js";
import { repoRoot, runMotc } from "../support/cli.js";

/** Cases at most, and the time they may take together: enough to find a disagreement, bounded for CI. */
const MAX_CASES = 4000;
const TIME_BOUND_MS = 3000;
const CLI_CASES = 6;

const seeds = readdirSync(join(repoRoot, "specs"))
  .filter((name) => name.endsWith(".mot"))
  .map((name) => readFileSync(join(repoRoot, "specs", name), "utf8"));

const BREAKS = ["\n", "\r", "\r\n"];
const DAMAGE = ["\r", "\n", "\r\n", "\t", "\x1b", "\x07", "\x00", "\x7f", "\x85", "é", "😀", "\u202e", "#", "\"", "(", "}", "=", "1e", " "];

/**
 * `text` with its line breaks replaced: all of one kind, or each one drawn at
 * random — except a lone CR right before another break, which would merge with
 * an LF into one CR LF and take an empty line away.
 */
function withLineEndings(text: string, random: Random): string {
  const mode = random.int(4);
  return text.replace(/\r\n|\r|\n/g, (found: string, at: number) => {
    if (mode < 3) return BREAKS[mode];
    const beforeBreak = /[\r\n]/.test(text[at + found.length] ?? "");
    return BREAKS[beforeBreak ? 2 * random.int(2) : random.int(3)];
  });
}

function damage(text: string, random: Random): string {
  let out = text;
  for (let n = 1 + random.int(3); n > 0; n--) {
    const at = random.int(out.length + 1);
    if (random.int(2) === 0 && out.length > 0) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + DAMAGE[random.int(DAMAGE.length)] + out.slice(at);
  }
  return out;
}

/** Line and column of `offset`, counted here without the compiler's code. */
function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] !== "\n")) [line, start] = [line + 1, i + 1];
  }
  return { line, col: offset - start + 1 };
}

function judge(text: string, path: string): void {
  const lines = text.split(/\r\n|\r|\n/);
  const result = checkSpec({ path, text });
  for (const d of result.diagnostics) {
    assert.ok(d.span, `${d.code} has no position`);
    const where = `${d.code} at ${d.span.line}:${d.span.col} in ${JSON.stringify(text)}`;
    // An offset at the very end (end of file) has no character; it still has a line.
    assert.deepEqual({ line: d.span.line, col: d.span.col }, positionOf(text, d.span.offset), where);
    const rendered = formatDiagnostic(d, { path, text }).split("\n");
    const echoed = lines[d.span.line - 1];
    assert.ok(echoed !== undefined, `line ${d.span.line} does not exist: ${where}`);
    const shown = printable(echoed.replace(/\t/g, " "));
    assert.equal(rendered[1], ` ${d.span.line} | ${shown}`, where);
    assert.doesNotMatch(rendered.join("\n"), /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, `a control character reached the output: ${where}`);
    const caret = /^ +\| ( *)(\^+)$/.exec(rendered[2]);
    assert.ok(caret, `no caret line: ${rendered[2]}`);
    const [first, length] = [caret[1].length, caret[2].length];
    const width = [...shown].length;
    // Inside the echoed line, or the one place just past its end (a missing token at the end of a line).
    assert.ok(first <= width && first + length <= Math.max(width, first + 1), `caret ${first}+${length} outside a line of ${width}: ${where}\n${rendered.join("\n")}`);
  }
}

test(`line endings: positions, echoed lines and carets agree for CR, LF, CRLF and mixed (seeded, ≤ ${TIME_BOUND_MS} ms)`, () => {
  const random = new Random(20261201, "line-endings");
  const started = performance.now();
  let cases = 0;
  for (; cases < MAX_CASES && performance.now() - started < TIME_BOUND_MS; cases++) {
    const seed = seeds[cases % seeds.length];
    const ended = withLineEndings(seed, random);
    // Undamaged, the spec formats to the canonical text of its LF original.
    if (cases < seeds.length * 4) assert.equal(formatSpec({ path: "s.mot", text: ended }).text, formatSpec({ path: "s.mot", text: seed }).text);
    judge(damage(ended, random), `case${cases}.mot`);
  }
  assert.ok(cases >= 200, `only ${cases} cases in ${TIME_BOUND_MS} ms`);
});

test("the issue's CR-only spec: the caret is under `mot` on line 6", () => {
  const text = "model m {\r vocab = 10\r context = 4\r d_model = 8\r embed()\r mot(experts = 2)\r head()\r}\r";
  const [d] = checkSpec({ path: "cr.mot", text }).diagnostics;
  assert.equal(formatDiagnostic(d, { path: "cr.mot", text }), [
    "cr.mot:6:2: error MOT023: missing required argument 'group' to mot",
    " 6 |  mot(experts = 2)",
    "   |  ^^^",
  ].join("\n"));
});

const dir = mkdtempSync(join(tmpdir(), "motc-fuzz-lines-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test(`${CLI_CASES} damaged specs with mixed line endings through check and fmt: exit 0 or 1, no control bytes, no stack trace`, () => {
  const random = new Random(11, "line-endings-cli");
  for (let i = 0; i < CLI_CASES; i++) {
    const path = join(dir, `case${i}.mot`);
    writeFileSync(path, damage(withLineEndings(seeds[i % seeds.length], random), random));
    for (const args of [["check", path], ["fmt", "--check", path]]) {
      const result = runMotc(args, { timeoutMs: 10_000 });
      assert.ok(result.code === 0 || result.code === 1, `exit ${result.code}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at |[\x00-\x09\x0b-\x1f\x7f]/);
    }
  }
});
