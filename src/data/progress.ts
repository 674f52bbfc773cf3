// `motc data prepare`'s progress on stderr: a bar redrawn in place (at most ten
// times a second) when stderr is a TTY, else a plain line every LINE_SECONDS
// (logs and CI). The measure of work is the inputs' bytes on disk, so the ETA
// holds for gzip'd and plain inputs alike.
import { formatDuration, type ProgressStream } from "../base/progress.js";

const REDRAW_SECONDS = 0.1;
const LINE_SECONDS = 10;

export class PrepareProgress {
  private read = 0;
  private tokens = 0;
  private readonly started: number;
  private lastShown: number;
  private barShown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly totalBytes: number,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.started = now();
    this.lastShown = this.started;
  }

  /** `bytes` more of the inputs were read; `tokens` is the total written so far. */
  update(bytes: number, tokens: number): void {
    this.read += bytes;
    this.tokens = tokens;
    const now = this.now();
    if (now - this.lastShown < (this.stream.isTTY ? REDRAW_SECONDS : LINE_SECONDS)) return;
    this.lastShown = now;
    const figures = this.figures(now);
    if (this.stream.isTTY) {
      const width = 16;
      const filled = Math.min(width, Math.round((this.read / Math.max(1, this.totalBytes)) * width));
      const line = `${"█".repeat(filled)}${"░".repeat(width - filled)} ${figures}`;
      this.stream.write(`\r${line.slice(0, (this.stream.columns || 120) - 1)}\x1b[K`);
      this.barShown = true;
    } else {
      this.stream.write(`prepare: ${figures}\n`);
    }
  }

  clear(): void {
    if (this.barShown) this.stream.write("\r\x1b[K");
    this.barShown = false;
  }

  private figures(now: number): string {
    const seconds = Math.max(now - this.started, 1e-9);
    const rate = this.read / seconds;
    const eta = rate > 0 ? (this.totalBytes - this.read) / rate : Infinity;
    const percent = Math.min(100, Math.floor((100 * this.read) / Math.max(1, this.totalBytes)));
    return `${percent}% ${megabytes(this.read)}/${megabytes(this.totalBytes)} MB  ${megabytes(rate)} MB/s  ` +
      `${count(this.tokens / seconds)} tok/s  ETA ${formatDuration(eta)}`;
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** 1234 → "1234", 1234567 → "1.23M". */
export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}
