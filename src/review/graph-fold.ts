// Which sublayers `motc graph` draws. ELK lays out a chain of ~100 sublayers in
// seconds, but its time grows with the chain and its recursion overflows the
// stack near 700 (the checker allows 10,000). So a long stack is drawn folded:
// a run of identical blocks (what `repeat N { … }` wrote) is drawn once, marked
// × N; and if what remains is still too long, its middle is left out, saying
// which sublayers are not drawn. A stack short enough is drawn whole.

/** Sublayers one picture draws at most (ELK: ~7 s for 100 on one core). */
export const MAX_DRAWN_SUBLAYERS = 40;
/** The longest block a fold looks for (a `repeat` body of more sublayers is drawn unfolded). */
const MAX_PERIOD = 16;

/** What the picture shows, in stack order. */
export type DrawnRun =
  /** Sublayer `index`, as it is. */
  | { kind: "sublayer"; index: number }
  /** Sublayers start … start + period·times − 1: one block of `period` sublayers, repeated `times` times. */
  | { kind: "repeat"; start: number; period: number; times: number }
  /** Sublayers start … start + count − 1, not drawn. */
  | { kind: "elided"; start: number; count: number };

/**
 * The runs to draw for sublayers whose `signatures` (their calls, every argument
 * spelled out) say which are identical. At most `limit` sublayers are drawn.
 */
export function foldSublayers(signatures: readonly string[], limit = MAX_DRAWN_SUBLAYERS): DrawnRun[] {
  if (signatures.length <= limit) return signatures.map((_, index) => ({ kind: "sublayer", index }));
  const runs: DrawnRun[] = [];
  for (let start = 0; start < signatures.length; ) {
    const best = longestRepeat(signatures, start);
    if (best) {
      runs.push({ kind: "repeat", start, period: best.period, times: best.times });
      start += best.period * best.times;
    } else {
      runs.push({ kind: "sublayer", index: start });
      start++;
    }
  }
  return elideMiddle(runs, limit);
}

/** The block at `start` that repeats most (covering the most sublayers, twice or more), shortest first on a tie. */
function longestRepeat(signatures: readonly string[], start: number): { period: number; times: number } | undefined {
  let best: { period: number; times: number } | undefined;
  for (let period = 1; period <= MAX_PERIOD && start + 2 * period <= signatures.length; period++) {
    let times = 1;
    while (sameBlock(signatures, start, start + times * period, period)) times++;
    if (times >= 2 && (!best || period * times > best.period * best.times)) best = { period, times };
  }
  return best;
}

function sameBlock(signatures: readonly string[], a: number, b: number, length: number): boolean {
  if (b + length > signatures.length) return false;
  for (let i = 0; i < length; i++) if (signatures[a + i] !== signatures[b + i]) return false;
  return true;
}

/** Sublayers a run draws. */
export function drawnCount(run: DrawnRun): number {
  return run.kind === "sublayer" ? 1 : run.kind === "repeat" ? run.period : 0;
}

/** Keeps runs from both ends up to `limit` drawn sublayers; the middle becomes one elided run. */
function elideMiddle(runs: DrawnRun[], limit: number): DrawnRun[] {
  if (runs.reduce((sum, run) => sum + drawnCount(run), 0) <= limit) return runs;
  const head: DrawnRun[] = [];
  const tail: DrawnRun[] = [];
  let budget = Math.floor(limit / 2);
  for (const run of runs) {
    if (drawnCount(run) > budget) break;
    head.push(run);
    budget -= drawnCount(run);
  }
  budget = limit - head.reduce((sum, run) => sum + drawnCount(run), 0);
  for (let i = runs.length - 1; i >= head.length; i--) {
    if (drawnCount(runs[i]) > budget) break;
    tail.unshift(runs[i]);
    budget -= drawnCount(runs[i]);
  }
  const start = head.length === 0 ? 0 : end(head[head.length - 1]);
  const stop = tail.length === 0 ? end(runs[runs.length - 1]) : first(tail[0]);
  return [...head, { kind: "elided", start, count: stop - start }, ...tail];
}

function first(run: DrawnRun): number {
  return run.kind === "sublayer" ? run.index : run.start;
}

/** The index just past a run's last sublayer. */
function end(run: DrawnRun): number {
  if (run.kind === "sublayer") return run.index + 1;
  return run.kind === "repeat" ? run.start + run.period * run.times : run.start + run.count;
}
