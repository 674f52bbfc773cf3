// The loss-curve picture, DIR/loss.svg: a self-contained SVG (no scripts, no
// fonts to fetch) with the training loss per step, the evaluation loss, and
// the unigram entropy of the data as a reference line. Pure: records in, text out.
import type { MetricsRecord } from "./metrics.js";

export interface PlotOptions {
  title: string;
  /** The x axis runs to this step even before training gets there. */
  steps: number;
  /** A horizontal reference line (nats/token), e.g. the data's unigram entropy. */
  reference?: { value: number; label: string };
}

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 64, right: 20, top: 36, bottom: 52 };
const MAX_POINTS = 1200;

export function lossCurveSvg(records: readonly MetricsRecord[], options: PlotOptions): string {
  const train = records.flatMap((r) => (r.kind === "train" && Number.isFinite(r.loss) ? [[r.step, r.loss] as const] : []));
  const evals = records.flatMap((r) => (r.kind === "eval" && Number.isFinite(r.eval_loss) ? [[r.step, r.eval_loss] as const] : []));
  const values = [...train, ...evals].map(([, y]) => y);
  if (options.reference) values.push(options.reference.value);
  const yTicks = niceTicks(values.length ? Math.min(...values) : 0, values.length ? Math.max(...values) : 1, 6);
  const xTicks = niceTicks(0, Math.max(1, options.steps), 8);
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const [x0, x1] = [0, xTicks[xTicks.length - 1]];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => round(MARGIN.left + ((x - x0) / (x1 - x0)) * plotW);
  const py = (y: number) => round(MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH);
  const path = (points: readonly (readonly [number, number])[]) =>
    points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${px(x)},${py(y)}`).join("");

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${py(t) + 4}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${px(t)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">step</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">loss (nats/token)</text>`,
  );
  if (options.reference) {
    const y = py(options.reference.value);
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right - 4}" y="${y - 4}" text-anchor="end" fill="#666">${escapeXml(options.reference.label)}</text>`);
  }
  if (train.length > 0) parts.push(`<path d="${path(thin(train))}" fill="none" stroke="#4c78a8" stroke-width="1.2"/>`);
  if (evals.length > 0) {
    parts.push(`<path d="${path(evals)}" fill="none" stroke="#e45756" stroke-width="2"/>`);
    for (const [x, y] of evals) parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="2.5" fill="#e45756"/>`);
  }
  const legendX = WIDTH - MARGIN.right - 150;
  parts.push(
    `<line x1="${legendX}" x2="${legendX + 20}" y1="${MARGIN.top + 14}" y2="${MARGIN.top + 14}" stroke="#4c78a8" stroke-width="2"/>`,
    `<text x="${legendX + 26}" y="${MARGIN.top + 18}">train loss</text>`,
    `<line x1="${legendX}" x2="${legendX + 20}" y1="${MARGIN.top + 32}" y2="${MARGIN.top + 32}" stroke="#e45756" stroke-width="2"/>`,
    `<text x="${legendX + 26}" y="${MARGIN.top + 36}">eval loss (held out)</text>`,
    "</svg>",
  );
  return parts.join("\n") + "\n";
}

/** At most MAX_POINTS points: the mean of each run of consecutive points. */
function thin(points: readonly (readonly [number, number])[]): (readonly [number, number])[] {
  if (points.length <= MAX_POINTS) return [...points];
  const per = Math.ceil(points.length / MAX_POINTS);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += per) {
    const run = points.slice(i, i + per);
    out.push([run[run.length - 1][0], run.reduce((s, [, y]) => s + y, 0) / run.length]);
  }
  return out;
}

/** Round numbers (1, 2, 5 × 10ⁿ) covering [low, high]. */
export function niceTicks(low: number, high: number, count: number): number[] {
  if (high <= low) high = low + 1;
  const rough = (high - low) / count;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const first = Math.floor(low / step) * step;
  const ticks: number[] = [];
  for (let t = first; t < high + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function formatTick(value: number): string {
  return Number(value.toPrecision(6)).toString();
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
