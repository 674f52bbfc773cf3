// Progress on stderr and the loss-curve picture.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { lossCurveSvg, niceTicks } from "../../src/train/plot.js";
import { Progress, formatDuration } from "../../src/train/progress.js";

function capture(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns, write: (text: string) => (chunks.push(text), true) } };
}
const report = (step: number) => ({ step, loss: 2.5, tokensPerSecond: 1000, elapsed: step, stepsThisRun: step });

test("without a TTY: one plain line every logEvery steps and at the end", () => {
  const { chunks, stream } = capture(false);
  const progress = new Progress(stream, 10, 4);
  for (let step = 1; step <= 10; step++) progress.step(report(step));
  progress.note("step 10: eval loss 2.4");
  assert.deepEqual(chunks, [
    "step 4/10  loss 2.5000  1000 tok/s  ETA 6s\n",
    "step 8/10  loss 2.5000  1000 tok/s  ETA 2s\n",
    "step 10/10  loss 2.5000  1000 tok/s  ETA 0s\n",
    "step 10: eval loss 2.4\n",
  ]);
});

test("on a TTY: a bar redrawn in place, cut to the terminal width; notes clear it first", () => {
  const { chunks, stream } = capture(true, 40);
  const progress = new Progress(stream, 8, 1);
  progress.step(report(4));
  assert.equal(chunks[0], "\r████████░░░░░░░░ step 4/8  loss 2.5000 \x1b[K");
  progress.note("saved");
  assert.deepEqual(chunks.slice(1), ["\r\x1b[K", "saved\n"]);
});

test("durations read as s, m and h", () => {
  assert.deepEqual([0, 59.4, 61, 3599, 3661].map(formatDuration), ["0s", "59s", "1m01s", "59m59s", "1h01m"]);
});

test("the loss SVG has labelled axes, a train path, eval points and the reference line", () => {
  const records: MetricsRecord[] = [
    { kind: "eval", step: 0, eval_loss: 5.5 },
    ...[1, 2, 3, 4].map((step): MetricsRecord => ({ kind: "train", step, loss: 5 - step * 0.5, lr: 1, grad_norm: 1, tokens_per_s: 1, elapsed_s: 1 })),
    { kind: "eval", step: 4, eval_loss: 3.2 },
  ];
  const svg = lossCurveSvg(records, { title: "small <wasm>", steps: 10, reference: { value: 2.9, label: "unigram entropy 2.90" } });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.endsWith("</svg>\n"));
  assert.ok(svg.includes(">step</text>") && svg.includes(">loss (nats/token)</text>"));
  assert.ok(svg.includes("small &lt;wasm&gt;"));
  assert.equal((svg.match(/<circle /g) ?? []).length, 2);
  assert.equal((svg.match(/<path d="M/g) ?? []).length, 2);
  assert.ok(svg.includes(">unigram entropy 2.90</text>"));
  assert.doesNotMatch(svg, /NaN|undefined|<script/);
  // Same records, same picture.
  assert.equal(lossCurveSvg(records, { title: "small <wasm>", steps: 10 }), lossCurveSvg(records, { title: "small <wasm>", steps: 10 }));
});

test("axis ticks are round numbers covering the range", () => {
  assert.deepEqual(niceTicks(0, 600, 8), [0, 100, 200, 300, 400, 500, 600]);
  assert.deepEqual(niceTicks(2.93, 5.55, 6), [2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6]);
});
