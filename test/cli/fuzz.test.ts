// Property test: randomly mutated specs (deleted, duplicated, swapped tokens,
// random bytes, huge numbers) never crash motc. Each one checks clean or ends in
// diagnostics that carry a position, within a time bound; clean ones format
// idempotently. Most cases run in-process (thousands); a sample goes through the
// real CLI to prove the exit codes and the absence of stack traces.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { Random } from "../../src/ir/random.js";
import { formatSpec } from "../../src/syntax/format.js";
import { repoRoot, runMotc } from "../support/cli.js";

const CASES = 3000;
const CLI_CASES = 40;
/** Generous: a mutated spec must be judged in far less (a warm check takes ~1 ms). */
const TIME_BOUND_MS = 250;

const seeds = readdirSync(join(repoRoot, "specs"))
  .filter((name) => name.endsWith(".mot"))
  .map((name) => readFileSync(join(repoRoot, "specs", name), "utf8"));

const tokenPattern = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[kMG%]?|"(?:[^"\\]|\\.)*"|#[^\n]*|\s+|./g;
const hugeNumbers = ["1G", "999999999999G", "1e308", "1e999", "4294967296", "0", "-1", "2.5", "1e-300", "9007199254740993"];

function mutate(text: string, random: Random): string {
  const tokens = text.match(tokenPattern) ?? [];
  const count = 1 + random.int(3);
  for (let n = 0; n < count && tokens.length > 1; n++) {
    const i = random.int(tokens.length);
    switch (random.int(6)) {
      case 0: tokens.splice(i, 1); break;
      case 1: tokens.splice(i, 0, tokens[i]); break;
      case 2: { const j = random.int(tokens.length); [tokens[i], tokens[j]] = [tokens[j], tokens[i]]; break; }
      case 3: tokens.splice(i, 0, String.fromCharCode(...Array.from({ length: 1 + random.int(4) }, () => random.int(256)))); break;
      case 4: {
        const numbers = tokens.flatMap((t, k) => (/^\d/.test(t) ? [k] : []));
        if (numbers.length > 0) tokens[numbers[random.int(numbers.length)]] = hugeNumbers[random.int(hugeNumbers.length)];
        break;
      }
      case 5: tokens.splice(i, 0, tokens[random.int(tokens.length)]); break;
    }
  }
  return tokens.join("");
}

function judge(text: string, path: string): void {
  const started = performance.now();
  const result = checkSpec({ path, text });
  for (const d of result.diagnostics) {
    assert.ok(d.span, `diagnostic without a position: ${d.code} ${d.message}\n--- spec ---\n${text}`);
    assert.ok(d.span.line >= 1 && d.span.col >= 1, `bad position ${d.span.line}:${d.span.col}`);
    assert.match(d.code, /^MOT\d{3}$/);
  }
  if (!result.diagnostics.some((d) => d.severity === "error")) {
    const once = formatSpec({ path, text });
    assert.equal(once.diagnostics.length, 0);
    const twice = formatSpec({ path, text: once.text });
    assert.equal(twice.text, once.text, `fmt is not idempotent on:\n${text}`);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < TIME_BOUND_MS, `took ${elapsed.toFixed(0)} ms on:\n${text}`);
}

test(`${CASES} mutated specs check or fail with positioned diagnostics`, () => {
  const random = new Random(20261122, "fuzz");
  for (let i = 0; i < CASES; i++) {
    judge(mutate(seeds[i % seeds.length], random), `mutant${i}.mot`);
  }
});

test(`${CLI_CASES} mutated specs through the CLI: exit 0 or 1, positioned errors, no stack traces`, () => {
  const random = new Random(7, "fuzz-cli");
  const dir = mkdtempSync(join(tmpdir(), "motc-fuzz-"));
  for (let i = 0; i < CLI_CASES; i++) {
    const path = join(dir, `mutant${i}.mot`);
    writeFileSync(path, mutate(seeds[i % seeds.length], random));
    const result = runMotc(["check", path], { timeoutMs: 10_000 });
    assert.ok(result.code === 0 || result.code === 1, `exit ${result.code}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
    const headlines = result.stderr.split("\n").filter((line) => / (error|warning) MOT\d{3}: /.test(line));
    for (const line of headlines) assert.match(line, /^.+\.mot:\d+:\d+: (error|warning) MOT\d{3}: /);
    if (result.code === 1) assert.ok(headlines.length > 0, `exit 1 without a diagnostic: ${result.stderr}`);
  }
});
