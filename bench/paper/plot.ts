// The report's picture: held-out loss of every model against steps (solid), its
// train loss smoothed over 20 steps (faint), and the unigram entropy (dashed).
// Self-contained SVG, deterministic for the same numbers.
import { niceTicks } from "../../src/train/plot.js";

export interface Curve {
  label: string;
  eval: readonly (readonly [number, number])[];
  train: readonly (readonly [number, number])[];
}

const WIDTH = 760;
const HEIGHT = 460;
const MARGIN = { left: 64, right: 150, top: 36, bottom: 52 };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

export function curvesSvg(curves: readonly Curve[], options: { title: string; steps: number; reference?: number }): string {
  const smoothed = curves.map((c) => smooth(c.train, 20));
  // Skip the first 5% of steps in the y range: the initial loss (ln 256) would flatten the rest.
  const skip = options.steps * 0.05;
  const values = curves.flatMap((c, i) => [...c.eval.filter(([x]) => x >= skip), ...smoothed[i].filter(([x]) => x >= skip)].map(([, y]) => y));
  if (options.reference !== undefined) values.push(options.reference);
  const yTicks = niceTicks(Math.min(...values), Math.max(...values), 6);
  const xTicks = niceTicks(0, options.steps, 8);
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const x1 = xTicks[xTicks.length - 1];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => r1(MARGIN.left + (x / x1) * plotW);
  const py = (y: number) => r1(MARGIN.top + (1 - (Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0)) * plotH);
  const path = (points: readonly (readonly [number, number])[]) => points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${px(x)},${py(y)}`).join("");

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="20" text-anchor="middle" font-size="14">${options.title}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${py(t) + 4}" text-anchor="end">${Number(t.toPrecision(6))}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${px(t)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">step</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">loss (nats/byte)</text>`);
  if (options.reference !== undefined && options.reference <= y1) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py(options.reference)}" y2="${py(options.reference)}" stroke="#888" stroke-dasharray="5,4"/>`);
  }
  curves.forEach((curve, i) => {
    const colour = COLOURS[i % COLOURS.length];
    parts.push(`<path d="${path(smoothed[i].filter(([x]) => x >= skip))}" fill="none" stroke="${colour}" stroke-opacity="0.3" stroke-width="1"/>`);
    parts.push(`<path d="${path(curve.eval.filter(([x]) => x >= skip))}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const ly = MARGIN.top + 10 + i * 20;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 12}" x2="${WIDTH - MARGIN.right + 36}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 42}" y="${ly + 4}">${curve.label}</text>`);
  });
  if (options.reference !== undefined) {
    const ly = MARGIN.top + 10 + curves.length * 20;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 12}" x2="${WIDTH - MARGIN.right + 36}" y1="${ly}" y2="${ly}" stroke="#888" stroke-dasharray="5,4"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 42}" y="${ly + 4}">unigram ${options.reference.toFixed(2)}</text>`);
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** Trailing mean over `window` points. */
export function smooth(points: readonly (readonly [number, number])[], window: number): [number, number][] {
  return points.map(([x], i) => {
    const run = points.slice(Math.max(0, i - window + 1), i + 1);
    return [x, run.reduce((s, [, y]) => s + y, 0) / run.length];
  });
}

function r1(value: number): number {
  return Math.round(value * 10) / 10;
}
