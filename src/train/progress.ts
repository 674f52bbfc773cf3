// Training progress on stderr: a bar redrawn in place when stderr is a TTY,
// otherwise one plain line every `logEvery` steps (for logs and CI).
import { formatDuration, type ProgressStream } from "../base/progress.js";

export { formatDuration, type ProgressStream };

export interface StepReport {
  step: number;
  loss: number;
  tokensPerSecond: number;
  /** Seconds this run has spent training (excludes a resumed run's earlier time). */
  elapsed: number;
  /** Steps this run has taken, for the ETA. */
  stepsThisRun: number;
}

export class Progress {
  private barShown = false;
  /** Tokens/s smoothed over recent steps (a single step's rate jumps around). */
  private rate: number | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly logEvery: number,
  ) {}

  step(report: StepReport): void {
    const remaining = this.total - report.step;
    const eta = report.stepsThisRun > 0 ? (report.elapsed / report.stepsThisRun) * remaining : 0;
    this.rate = this.rate === undefined ? report.tokensPerSecond : 0.9 * this.rate + 0.1 * report.tokensPerSecond;
    const figures = `loss ${report.loss.toFixed(4)}  ${formatRate(this.rate)} tok/s  ETA ${formatDuration(eta)}`;
    if (this.stream.isTTY) {
      const width = 16;
      const filled = Math.round((report.step / this.total) * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      const line = `${bar} step ${report.step}/${this.total}  ${figures}`;
      this.stream.write(`\r${line.slice(0, (this.stream.columns || 120) - 1)}\x1b[K`);
      this.barShown = true;
    } else if (report.step % this.logEvery === 0 || report.step === this.total) {
      this.stream.write(`step ${report.step}/${this.total}  ${figures}\n`);
    }
  }

  /** A line that stays (evaluation results, checkpoints): printed above the bar. */
  note(line: string): void {
    this.clearBar();
    this.stream.write(line + "\n");
  }

  clearBar(): void {
    if (this.barShown) this.stream.write("\r\x1b[K");
    this.barShown = false;
  }
}

function formatRate(rate: number): string {
  return rate >= 10_000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(0);
}
