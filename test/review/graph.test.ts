// motc graph: the ELK layout puts the paper model's parts in stack order, the
// output is deterministic, and headless Chromium renders the SVG and the HTML
// without errors with every sublayer in the DOM.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium, requireChecker } from "../support/checkers.js";
import { repoRoot, runMotc } from "../support/cli.js";

const paper = join(repoRoot, "specs/mot_paper.mot");

function boxes(svg: string): Map<string, { x: number; y: number; width: number; height: number }> {
  const found = new Map<string, { x: number; y: number; width: number; height: number }>();
  for (const m of svg.matchAll(/<g class="[a-z]+" id="([^"]+)">\n<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)) {
    found.set(m[1], { x: Number(m[2]), y: Number(m[3]), width: Number(m[4]), height: Number(m[5]) });
  }
  return found;
}

test("motc graph: default out/NAME.svg, parts laid out top to bottom in stack order, deterministic", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-graph-"));
  try {
    const first = runMotc(["graph", paper, "--model", "mot_paper"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const svg = readFileSync(join(dir, "out/mot_paper.svg"), "utf8");
    const parts = boxes(svg);
    const order = ["input", "embed", ...Array.from({ length: 8 }, (_, i) => [`layers.${i}.norm`, `layers.${i}`]).flat(), "head.norm", "head", "logits"];
    for (const id of order) assert.ok(parts.has(id), `no box for ${id}`);
    for (let i = 1; i < order.length; i++) {
      const above = parts.get(order[i - 1])!, below = parts.get(order[i])!;
      assert.ok(above.y + above.height <= below.y, `${order[i - 1]} does not end above ${order[i]}`);
    }
    // Each MoT box holds its four stages, and each residual ⊕ is drawn.
    for (const i of [1, 3, 5, 7]) {
      const mot = parts.get(`layers.${i}`)!;
      for (const stage of ["controller", "mix", "experts", "emit"]) {
        const s = parts.get(`layers.${i}.${stage}`)!;
        assert.ok(s.x >= mot.x && s.y >= mot.y && s.x + s.width <= mot.x + mot.width && s.y + s.height <= mot.y + mot.height, `layers.${i}.${stage} outside its mot box`);
      }
    }
    assert.equal(svg.match(/<g class="add" id="layers\.\d\.add">/g)?.length, 8);
    assert.equal(svg.match(/<path class="edge skip"/g)?.length, 8);
    assert.match(svg, /512 experts · group 32 · expert_size 64 · relu/);

    const again = runMotc(["graph", paper, "--model", "mot_paper", "-o", join(dir, "again.svg")]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(join(dir, "again.svg"), "utf8"), svg);
    assert.equal(runMotc(["graph", paper, "-o", join(dir, "x.png")]).code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("700 and 9,998 sublayers render, folded: one block × N, or the middle left out (issue 11, item 8)", () => {
  const dir = mkdtempSync(join(tmpdir(), "motc-graph-large-"));
  try {
    const spec = (body: string) => `model big {\n  vocab = 64\n  context = 16\n  d_model = 16\n  embed\n${body}  head\n}\n`;
    const cases: [string, string, RegExp[]][] = [
      ["repeat350.mot", spec("  repeat 350 {\n    attention(heads = 2)\n    mot(experts = 4, group = 2)\n  }\n"),
        [/repeat × 350/, /layers\.0–699: the 2 sublayers below, 350 times/, /id="layers\.0"/, /id="layers\.1"/, /end of repeat × 350/]],
      ["repeat4999.mot", spec("  repeat 4999 {\n    attention(heads = 2)\n    mot(experts = 4, group = 2)\n  }\n"),
        [/repeat × 4,999/, /layers\.0–9997: the 2 sublayers below, 4,999 times/, /· 9998 sublayers/]],
      ["distinct.mot", spec(Array.from({ length: 9998 }, (_, i) => `  ff(size = ${i + 1})\n`).join("")),
        [/⋮ 9,958 sublayers not drawn/, /layers\.20–9977 \(motc summary lists them\)/, /id="layers\.19"/, /id="layers\.9978"/]],
    ];
    for (const [name, text, expected] of cases) {
      writeFileSync(join(dir, name), text);
      const output = join(dir, name.replace(".mot", ".svg"));
      const started = performance.now();
      const result = runMotc(["graph", join(dir, name), "-o", output], { timeoutMs: 120_000 });
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.equal(result.stderr, `wrote ${output}\n`);
      const svg = readFileSync(output, "utf8");
      for (const pattern of expected) assert.match(svg, pattern, name);
      // Never more than the drawing limit: 40 sublayers, each one ⊕.
      assert.ok((svg.match(/<g class="add"/g)?.length ?? 0) <= 40, name);
      assert.ok(performance.now() - started < 60_000, `${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function dumpDom(file: string): { dom: string; code: number | null } {
  const profile = mkdtempSync(join(tmpdir(), "motc-chromium-"));
  try {
    const result = spawnSync(chromium, [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`, "--dump-dom", `file://${file}`,
    ], { encoding: "utf8", timeout: 60_000 });
    return { dom: result.stdout, code: result.status };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

test("the paper model's picture renders in headless Chromium with every sublayer", (t) => {
  if (!requireChecker(t, "chromium")) return;
  const dir = mkdtempSync(join(tmpdir(), "motc-graph-"));
  try {
    for (const name of ["paper.svg", "paper.html"]) {
      const file = join(dir, name);
      const result = runMotc(["graph", paper, "--model", "mot_paper", "-o", file]);
      assert.equal(result.code, 0, result.stderr);
      const { dom, code } = dumpDom(file);
      assert.equal(code, 0, `chromium exited ${code}`);
      // An SVG that is not well-formed XML renders as Chromium's parse-error page.
      assert.doesNotMatch(dom, /parsererror|This page contains the following errors/);
      assert.match(dom, /<svg[^>]*viewBox/);
      for (let i = 0; i < 8; i++) assert.match(dom, new RegExp(`>layers\\.${i} (attention|mot · Mixture of Tokens)<`), `${name}: layers.${i} missing`);
      assert.match(dom, />embed\(position = learned\)</);
      assert.match(dom, />head\(tied = true\)</);
      assert.equal(dom.match(/>512 experts: 256 → 64 → 256 \(relu\)</g)?.length, 4);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
