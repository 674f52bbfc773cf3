// DIR/metrics.jsonl: one JSON object a line, appended as training goes.
//   {"kind":"train","step":12,"loss":4.8,"lr":0.0012,"grad_norm":0.93,"tokens_per_s":5400,"elapsed_s":3.1}
//   {"kind":"eval","step":30,"eval_loss":3.9}
// `step` counts optimizer updates; eval at step 0 is the untrained model. Every
// field but tokens_per_s and elapsed_s is the same in a resumed run as in an
// uninterrupted one.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../base/files.js";

export const METRICS = "metrics.jsonl";

export interface TrainRecord {
  kind: "train";
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  tokens_per_s: number;
  elapsed_s: number;
}

export interface EvalRecord {
  kind: "eval";
  step: number;
  eval_loss: number;
}

export type MetricsRecord = TrainRecord | EvalRecord;

export class MetricsLog {
  readonly path: string;
  readonly records: MetricsRecord[] = [];

  /** Opens DIR/metrics.jsonl: afresh, or (resuming) keeping only records up to `step`. */
  constructor(dir: string, resumeFrom?: number) {
    this.path = join(dir, METRICS);
    if (resumeFrom !== undefined && existsSync(this.path)) {
      this.records = readMetrics(this.path).filter((r) => r.step <= resumeFrom);
    }
    writeFileAtomic(this.path, this.records.map((r) => JSON.stringify(r) + "\n").join(""));
  }

  add(record: MetricsRecord): void {
    this.records.push(record);
    appendFileSync(this.path, JSON.stringify(record) + "\n");
  }
}

/** Parses a metrics file; a torn last line (a crash mid-append) is skipped. */
export function readMetrics(path: string): MetricsRecord[] {
  const records: MetricsRecord[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // Only the last line can be torn; anything after it is lost with it.
      break;
    }
  }
  return records;
}
