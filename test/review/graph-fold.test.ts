// Which sublayers `motc graph` draws (src/review/graph-fold.ts): short stacks
// whole; long ones with each run of identical blocks drawn once (× N) and, if
// still too long, the middle left out — never more than the limit drawn, and
// every sublayer accounted for exactly once, in order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_DRAWN_SUBLAYERS, drawnCount, foldSublayers, type DrawnRun } from "../../src/review/graph-fold.js";
import { Random } from "../../src/ir/random.js";

/** The sublayer indices a list of runs stands for, in order. */
function covered(runs: DrawnRun[]): number[] {
  return runs.flatMap((run) => {
    if (run.kind === "sublayer") return [run.index];
    const count = run.kind === "repeat" ? run.period * run.times : run.count;
    return Array.from({ length: count }, (_, k) => run.start + k);
  });
}

test("a stack within the limit is drawn whole, even when it repeats", () => {
  const signatures = Array.from({ length: MAX_DRAWN_SUBLAYERS }, (_, i) => (i % 2 ? "mot" : "attention"));
  assert.deepEqual(foldSublayers(signatures), signatures.map((_, index) => ({ kind: "sublayer", index })));
});

test("repeat 350 { attention; mot } is one block × 350", () => {
  const signatures = Array.from({ length: 700 }, (_, i) => (i % 2 ? "mot" : "attention"));
  assert.deepEqual(foldSublayers(signatures), [{ kind: "repeat", start: 0, period: 2, times: 350 }]);
});

test("runs between singles: the longest cover wins, the shortest block on a tie", () => {
  const signatures = ["ff(1)", ...Array(30).fill("a"), "ff(2)", ..."abc".repeat(20), "ff(3)"];
  assert.deepEqual(foldSublayers(signatures, 10), [
    { kind: "sublayer", index: 0 },
    { kind: "repeat", start: 1, period: 1, times: 30 },
    { kind: "sublayer", index: 31 },
    { kind: "repeat", start: 32, period: 3, times: 20 },
    { kind: "sublayer", index: 92 },
  ]);
});

test("9,998 distinct sublayers: the first and last halves of the limit, the middle elided", () => {
  const signatures = Array.from({ length: 9998 }, (_, i) => `ff(size = ${i + 1})`);
  const runs = foldSublayers(signatures);
  const half = MAX_DRAWN_SUBLAYERS / 2;
  assert.equal(runs.length, MAX_DRAWN_SUBLAYERS + 1);
  assert.deepEqual(runs[half], { kind: "elided", start: half, count: 9998 - MAX_DRAWN_SUBLAYERS });
  assert.deepEqual(covered(runs), Array.from({ length: 9998 }, (_, i) => i));
});

test("random stacks: every sublayer once and in order, at most the limit drawn, every repeat really repeats", () => {
  const random = new Random(3, "graph-fold");
  for (let n = 0; n < 300; n++) {
    const alphabet = 1 + random.int(4);
    const signatures: string[] = [];
    while (signatures.length < 1 + random.int(2000)) {
      const block = Array.from({ length: 1 + random.int(5) }, () => String(random.int(alphabet)));
      for (let k = 1 + random.int(50); k > 0; k--) signatures.push(...block);
    }
    const runs = foldSublayers(signatures);
    assert.deepEqual(covered(runs), signatures.map((_, i) => i));
    assert.ok(runs.reduce((sum, run) => sum + drawnCount(run), 0) <= MAX_DRAWN_SUBLAYERS);
    for (const run of runs) {
      if (run.kind !== "repeat") continue;
      assert.ok(run.times >= 2);
      for (let i = run.start; i < run.start + run.period * run.times; i++) assert.equal(signatures[i], signatures[run.start + ((i - run.start) % run.period)]);
    }
  }
});
