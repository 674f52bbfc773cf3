// explain, summary and diff as a user runs them, on the real specs: numbers
// against hand derivations, fmt round trips, exit codes, git revisions and the
// textconv driver.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { describeModel } from "../../src/review/describe.js";
import { explainJson } from "../../src/review/explain.js";
import { hasErrors } from "../../src/syntax/diagnostics.js";
import { formatSpec } from "../../src/syntax/format.js";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";

const paper = "specs/mot_paper.mot";

function specFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(repoRoot, path)).isDirectory()) return specFiles(path);
    return name.endsWith(".mot") ? [path] : [];
  });
}

function explainOf(path: string, text: string): { json?: string; codes: string[] } {
  const result = checkSpec({ path, text });
  const codes = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
  return hasErrors(result.diagnostics) ? { codes } : { json: explainJson(result.models.map(describeModel)), codes };
}

test("explain --json is byte-identical for every spec and its fmt output", () => {
  const files = [...specFiles("specs"), ...specFiles("test/fixtures")];
  assert.ok(files.length >= 8, `found only ${files.length} specs`);
  let checked = 0;
  for (const path of files) {
    const text = readFileSync(join(repoRoot, path), "utf8");
    const formatted = formatSpec({ path, text });
    const before = explainOf(path, text);
    const after = explainOf(path, formatted.text);
    if (before.json === undefined) {
      // A spec that does not check (a diagnostics fixture) must fail the same way after formatting.
      assert.deepEqual(after.codes, before.codes, path);
      continue;
    }
    assert.equal(after.json, before.json, `${path}: explain --json changed after fmt`);
    checked++;
  }
  assert.ok(checked >= 6, `only ${checked} specs checked`);
});

test("motc explain: the paper model, every default, hand-derived totals", () => {
  const result = runMotc(["explain", paper, "--model", "mot_paper"]);
  assert.equal(result.code, 0, result.stderr);
  const text = result.stdout;
  assert.doesNotMatch(text, /dense_paper/);
  // 12,931,328 (embed) + 4 × (262,656 attention + 16,908,801 mot) + 512 (head norm)
  assert.match(text, /\n +#  total +81,617,668 /);
  assert.match(text, /\n  layers\.0 attention\(heads = 4, causal = true, bias = false, init = normal\(std = 0\.02\)\)\n/);
  assert.match(text, /\n  layers\.7 mot\(experts = 512, group = 32, expert_size = 64, temp = learnable\(init = 1\), activation = relu, init = fan_in\(scale = 1\)\)\n/);
  assert.match(text, /\n  d_ff     = 1024\n  norm     = layernorm\n  norm_eps = 1e-5\n  dropout  = 0\n  init     = normal\(std = 0\.02\)\n/);
  assert.match(text, /\n  eval_every       = 12500\n/);

  const json = JSON.parse(runMotc(["explain", paper, "--json"]).stdout);
  assert.deepEqual(json.models.map((m: { name: string }) => m.name), ["mot_paper", "dense_paper"]);
  assert.equal(json.models[1].parent, "mot_paper");
  assert.equal(json.models[1].totals.params, 12_931_328 + 4 * (262_656 + 512 + 525_568) + 512);
  assert.deepEqual(json.models[1].recipe, json.models[0].recipe); // inherited through extends

  const missing = runMotc(["explain", paper, "--model", "nope"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `motc: error MOT231: ${paper}: no model 'nope' (it declares 'mot_paper', 'dense_paper')\n`);
});

test("motc summary: rows, shares and the training-memory formula", () => {
  const result = runMotc(["summary", paper, "--model", "mot_paper", "--format", "json", "--batch", "8"]);
  assert.equal(result.code, 0, result.stderr);
  const [m] = JSON.parse(result.stdout).models;
  assert.deepEqual(m.layers.map((l: { name: string }) => l.name), ["embed", ...Array.from({ length: 8 }, (_, i) => `layers.${i}`), "head"]);
  assert.equal(m.layers[2].params, 16_908_801);
  assert.equal(m.layers[2].paramsShare, Number((16_908_801 / 81_617_668).toFixed(6)));
  assert.equal(m.layers[9].flopsShare, Number((25_731_584 / 36_217_344).toFixed(6)));
  // Floats kept per token: embed d; attention 6d + 2·heads·T; mot 2d + 2E + (2Ed + 2Ef)/G; head 2d + 2·vocab.
  // At batch 8 the MoT groups (G = 32) are the batch's 8 rows.
  const d = 256, T = 256;
  const floats = d + 4 * (6 * d + 2 * 4 * T) + 4 * (2 * d + 2 * 512 + (2 * 512 * d + 2 * 512 * 64) / 8) + 2 * d + 2 * 50257;
  assert.equal(m.trainingMemory.activationFloatsPerToken, floats);
  assert.equal(floats, 285_602);
  const fullGroups = JSON.parse(runMotc(["summary", paper, "--model", "mot_paper", "--format", "json", "--batch", "64"]).stdout).models[0];
  assert.equal(fullGroups.trainingMemory.activationFloatsPerToken, 162_722); // (2Ed + 2Ef)/32
  assert.deepEqual(m.trainingMemory.bytes, {
    weights: 4 * 81_617_668,
    gradients: 4 * 81_617_668,
    optimizer: 8 * 81_617_668,
    activations: 4 * 8 * T * floats,
    total: 16 * 81_617_668 + 4 * 8 * T * floats,
  });

  const text = runMotc(["summary", paper]).stdout;
  assert.match(text, /\nlayers\.1 +mot +\[B, T, 256\] +16,908,801 +20\.7% /);
  assert.match(text, /training memory +[\d.]+ GiB at batch 256 × context 256/);
  const markdown = runMotc(["summary", paper, "--format", "markdown", "--model", "dense_paper"]).stdout;
  assert.match(markdown, /\n\| layers\.1 \| ff \| \[B, T, 256\] \| 526,080 \| /);
  const zero = runMotc(["summary", paper, "--batch", "0"]);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /^motc: error MOT220: --batch must be a positive whole number, got '0'\n/);
});

test("motc diff: the paper model vs its dense twin — exactly the 4 replaced sublayers, FFN params 32×", () => {
  const result = runMotc(["diff", paper, "--models", "mot_paper:dense_paper", "--format", "json"]);
  assert.equal(result.code, 1, result.stderr);
  const [m] = JSON.parse(result.stdout).models;
  assert.deepEqual(m.hyperparameters, []);
  assert.deepEqual(m.recipe, []);
  assert.deepEqual(
    m.sublayers.map((s: { op: string; before: { name: string; kind: string }; after: { name: string; kind: string } }) => [s.op, s.before.name, s.before.kind, s.after.name, s.after.kind]),
    [1, 3, 5, 7].map((i) => ["replaced", `layers.${i}`, "mot", `layers.${i}`, "ff"]),
  );
  const ffn = m.totals.find((t: { quantity: string }) => t.quantity.startsWith("FFN"));
  // mot: experts 2·512·256·64 = 16,777,216 + controller 256·512 = 131,072 + log_temp 1; ff: 2·256·1024 + 1024 + 256 = 525,568
  assert.equal(ffn.before, 4 * (16_777_216 + 131_072 + 1));
  assert.equal(ffn.after, 4 * 525_568);
  assert.equal(Math.round(ffn.before / ffn.after), 32);

  const text = runMotc(["diff", paper, "--models", "mot_paper:dense_paper"]).stdout;
  assert.equal(text.match(/^    ~ layers\.\d/gm)?.length, 4);
  assert.match(text, /FFN \(ff\/glu\/mot\/moe\) params +67,633,156 +→ +2,102,272 +−65,530,884 +0\.03108× \(1\/32\.17\)/);
  const markdown = runMotc(["diff", paper, "--models", "mot_paper:dense_paper", "--format", "markdown"]).stdout;
  assert.match(markdown, /\n\| ~ \| `layers\.7` \| `mot\(experts = 512, group = 32, expert_size = 64, temp = learnable\(init = 1\), activation = relu, init = fan_in\(scale = 1\)\)` \| `ff\(size = 1024, activation = relu, init = normal\(std = 0\.02\)\)` \| mot → ff \|\n/);
});

test("motc diff: specs/tiny.mot against a copy with `replace mot with glu()` shows the two replacements and the parameter delta", () => {
  const scratch = mkdtempSync(join(tmpdir(), "motc-diff-glu-"));
  try {
    const copy = join(scratch, "tiny.mot");
    const text = readFileSync(join(repoRoot, "specs/tiny.mot"), "utf8");
    writeFileSync(copy, text.replace("model tiny_dense extends tiny {\n  replace mot with ff()", "model tiny_dense extends tiny {\n  replace mot with glu()"));
    const result = runMotc(["diff", "specs/tiny.mot", copy, "-m", "tiny_dense", "--format", "json"]);
    assert.equal(result.code, 1, result.stderr);
    const [m] = JSON.parse(result.stdout).models;
    assert.deepEqual(
      m.sublayers.map((s: { op: string; before: { call: string }; after: { call: string } }) => [s.op, s.before.call, s.after.call]),
      [1, 3].map(() => ["replaced", "ff(size = 256, activation = relu, init = normal(std = 0.02))", "glu(size = 256, activation = silu, init = normal(std = 0.02))"]),
    );
    // Per block: ff 2·64·256 + 256 + 64 = 33,088; glu 3·64·256 = 49,152 — 16,064 more, twice.
    const params = m.totals.find((t: { quantity: string }) => t.quantity === "params");
    assert.equal(params.after - params.before, 2 * (49_152 - 33_088));
    const flops = m.totals.find((t: { quantity: string }) => t.quantity === "FLOPs/token");
    assert.equal(flops.after - flops.before, 2 * (6 * 64 * 256 - 4 * 64 * 256));
    const textDiff = runMotc(["diff", "specs/tiny.mot", copy, "-m", "tiny_dense"]).stdout;
    assert.match(textDiff, /~ layers\.1  ff\(size = 256, activation = relu, init = normal\(std = 0\.02\)\)\n +→ glu\(size = 256, activation = silu, init = normal\(std = 0\.02\)\)/);
    assert.match(textDiff, /FFN \(ff\/glu\/mot\/moe\) params +66,176 +→ +98,304 +\+32,128/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("motc diff: formatting, comments and spelling are no difference (exit 0)", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-diff-"));
  try {
    for (const spec of ["specs/mot_paper.mot", "specs/moe.mot", "specs/attention.mot"]) {
      const formatted = join(dir, "formatted.mot");
      const fmt = runMotc(["fmt", spec]);
      assert.equal(fmt.code, 0, fmt.stderr);
      writeFileSync(formatted, `# a new comment\n\n${fmt.stdout.replace(/\n/g, "   # and more\n")}`);
      const result = runMotc(["diff", spec, formatted]);
      assert.equal(result.code, 0, `${spec}: ${result.stdout}${result.stderr}`);
      assert.doesNotMatch(result.stdout, /→/);
    }
    const respelled = runMotc(["diff", paper, "test/fixtures/review/paper_respelled.mot", "--format", "markdown"]);
    assert.equal(respelled.code, 0, respelled.stdout + respelled.stderr);
    assert.match(respelled.stdout, /No semantic difference/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("motc diff: a changed spec lists hyperparameters, sublayers and recipe keys; errors exit 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-diff-"));
  try {
    const text = readFileSync(join(repoRoot, paper), "utf8");
    const changed = join(dir, "changed.mot");
    writeFileSync(changed, text.replace("repeat 4", "repeat 5").replace("group = 32", "group = 16").replace("lr = 2e-3", "lr = 1e-3").replace("context = 256", "context = 512"));
    const result = runMotc(["diff", paper, changed, "--model", "mot_paper"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /\n    context: 256 → 512\n/);
    assert.match(result.stdout, /\n    ~ layers\.1  mot\(group: 32 → 16, expert_size: 64 → 32\)\n/);
    assert.match(result.stdout, /\n    \+ layers\.8  attention\(heads = 4, causal = true, bias = false, init = normal\(std = 0\.02\)\)\n/);
    assert.match(result.stdout, /\n    \+ layers\.9  mot\(experts = 512, group = 16, expert_size = 32, temp = learnable\(init = 1\), activation = relu, init = fan_in\(scale = 1\)\)\n/);
    assert.match(result.stdout, /\n    lr: 0\.002 → 0\.001\n/);
    assert.match(result.stdout, /\n    sublayers +8 +→ +10 +\+2 +1\.25×\n/);

    const html = runMotc(["diff", paper, changed, "--format", "html", "--model", "mot_paper"]);
    assert.equal(html.code, 1);
    assert.match(html.stdout, /^<!DOCTYPE html>/);
    assert.match(html.stdout, /<tr class="changed"><td class="op">~<\/td><td class="a"><span class="call">layers\.1 mot\(experts = 512, <mark>group = 16<\/mark>|<mark>group = 32<\/mark>/);
    assert.match(html.stdout, /<tr class="added"><td class="op">\+<\/td><td class="a"><\/td><td class="b"><span class="call">layers\.8 attention/);
    // layers.0 is unchanged, but the longer context makes its attention cost more: its numbers are marked.
    assert.match(html.stdout, /layers\.0 attention\(heads = 4, causal = true, bias = false, init = normal\(std = 0\.02\)\)<\/span><br><span class="cost"><mark>262,656 params · 1,048,576 FLOPs\/token<\/mark>/);
    assert.doesNotMatch(html.stdout, /<script|https?:\/\//);

    // diff(1)'s convention: every failure exits 2, whatever its code.
    const failure = (args: string[], stderr: string | RegExp, options: { cwd?: string } = {}) => {
      const result = runMotc(["diff", ...args], options);
      assert.equal(result.code, 2, result.stderr);
      if (typeof stderr === "string") assert.equal(result.stderr, stderr);
      else assert.match(result.stderr, stderr);
    };
    failure([paper, join(dir, "missing.mot")], `motc: error MOT201: cannot read ${join(dir, "missing.mot")}: no such file or directory\n`);
    const bad = join(dir, "bad.mot");
    writeFileSync(bad, text.replace("group = 32", "grop = 32"));
    failure([paper, bad], new RegExp(`^${bad}:14:5: error MOT023: [^]*\n${bad}:14:24: error MOT012: [^]*\nmotc: error MOT099: ${bad} has 2 errors\n$`));
    failure([paper], "motc: error MOT225: one spec given: name two models of it with --models X:Y, or give a second spec\n");
    failure([paper, "--models", "mot_paper"], "motc: error MOT220: --models must be X:Y (two model names), got 'mot_paper'\n");
    failure([paper, "--model", "mot_paper", "--models", "mot_paper:dense_paper"], "motc: error MOT224: give --model or --models, not both\n");
    // A side that is no file, outside any git repository: not a revision either.
    failure(["HEAD:a.mot", paper], "motc: error MOT232: HEAD:a.mot: no such file, and not inside a git repository to read a revision from\n", { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", ["-c", "user.name=motc", "-c", "user.email=motc@example.invalid", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });
  assert.equal(result.status, 0, `git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

test("motc diff REV:path, and git diff through the explain --textconv driver", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-git-"));
  try {
    const text = readFileSync(join(repoRoot, paper), "utf8");
    git(dir, "init", "-q");
    writeFileSync(join(dir, "a.mot"), text);
    git(dir, "add", "a.mot");
    git(dir, "commit", "-q", "-m", "paper");
    writeFileSync(join(dir, "a.mot"), text.replace("experts = 512", "experts = 256"));

    const changed = runMotc(["diff", "HEAD:a.mot", "a.mot", "--model", "mot_paper"], { cwd: dir });
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /^--- HEAD:a\.mot\n\+\+\+ a\.mot\n/);
    assert.match(changed.stdout, /~ layers\.1  mot\(experts: 512 → 256, expert_size: 64 → 128\)/);
    assert.equal(runMotc(["diff", "HEAD:a.mot", "HEAD:./a.mot"], { cwd: dir }).code, 0);

    const noRev = runMotc(["diff", "HEAD~3:a.mot", "a.mot"], { cwd: dir });
    assert.equal(noRev.code, 2);
    assert.match(noRev.stderr, /^motc: error MOT233: HEAD~3:a\.mot: no git revision 'HEAD~3'\n$/);
    const noPath = runMotc(["diff", "HEAD:b.mot", "a.mot"], { cwd: dir });
    assert.equal(noPath.code, 2);
    assert.equal(noPath.stderr, "motc: error MOT234: HEAD:b.mot: 'b.mot' does not exist in revision 'HEAD' (paths are from the repository root; use 'HEAD:./b.mot' for one relative to here)\n");

    // The README's git integration: *.mot diff=mot, textconv = motc explain --textconv.
    writeFileSync(join(dir, ".gitattributes"), "*.mot diff=mot\n");
    git(dir, "config", "diff.mot.textconv", `"${process.execPath}" "${motcBin}" explain --textconv`);
    const gitDiff = git(dir, "diff", "--", "a.mot");
    assert.match(gitDiff, /\n-  layers\.1 mot\(experts = 512, group = 32, expert_size = 64, /);
    assert.match(gitDiff, /\n\+  layers\.1 mot\(experts = 256, group = 32, expert_size = 128, /);
    // A spec that does not check still diffs (as written) instead of breaking git diff.
    writeFileSync(join(dir, "a.mot"), text.replace("group = 32", "grop = 32"));
    const broken = git(dir, "diff", "--", "a.mot");
    assert.match(broken, /\n\+# motc explain: this spec has errors \(run motc check\); shown as written\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
