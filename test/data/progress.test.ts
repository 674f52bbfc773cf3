// `motc data prepare`'s progress: on a TTY a bar of input read with MB/s, tok/s
// and the ETA from the inputs' size, redrawn at most ten times a second; without
// one, a plain line every ten seconds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PrepareProgress, count } from "../../src/data/progress.js";

function capture(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns, write: (text: string) => (chunks.push(text), true) } };
}

test("on a TTY: the bar, MB read of the total, MB/s, tok/s and the ETA; clear() erases it", () => {
  const { chunks, stream } = capture(true);
  let now = 100;
  const progress = new PrepareProgress(stream, 200e6, () => now);
  now = 100.05;
  progress.update(1e6, 1000); // within a tenth of a second of the start: not drawn
  assert.deepEqual(chunks, []);
  now = 102;
  progress.update(49e6, 4e6);
  assert.deepEqual(chunks, ["\r████░░░░░░░░░░░░ 25% 50.0/200.0 MB  25.0 MB/s  2.00M tok/s  ETA 6s\x1b[K"]);
  progress.clear();
  assert.equal(chunks[1], "\r\x1b[K");
});

test("without a TTY: a line every ten seconds, nothing to clear", () => {
  const { chunks, stream } = capture(false);
  let now = 0;
  const progress = new PrepareProgress(stream, 100e6, () => now);
  for (now = 1; now <= 25; now++) progress.update(2e6, now * 5000);
  assert.deepEqual(chunks, [
    "prepare: 20% 20.0/100.0 MB  2.0 MB/s  5000 tok/s  ETA 40s\n",
    "prepare: 40% 40.0/100.0 MB  2.0 MB/s  5000 tok/s  ETA 30s\n",
  ]);
  progress.clear();
  assert.equal(chunks.length, 2);
});

test("counts: 1234, 12.3k, 1.23M, 1.23G", () => {
  assert.deepEqual([1234, 12_345, 1_234_567, 1_234_567_890].map(count), ["1234", "12.3k", "1.23M", "1.23G"]);
});
