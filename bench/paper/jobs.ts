// Runs bench jobs (child processes) a few at a time, skipping those already done.
// Each job runs under /usr/bin/time so its CPU seconds are recorded beside its
// output (usage.json): on a shared machine CPU time, not wall time, is what a
// step costs.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../src/base/files.js";

export interface Job {
  label: string;
  /** The run's output directory: emptied before a run, usage.json written into it after. */
  out: string;
  command: string[];
  /** True when an earlier bench already completed this job. */
  done(): boolean;
}

export async function runAll(jobs: readonly Job[], parallel: number): Promise<void> {
  const pending = jobs.filter((job) => !job.done());
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const job = pending[next++];
      await runJob(job);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
}

async function runJob(job: Job): Promise<void> {
  rmSync(job.out, { recursive: true, force: true });
  mkdirSync(job.out, { recursive: true });
  const timing = join(job.out, "time.txt");
  const started = performance.now();
  console.log(`[bench] ${job.label}: ${job.command.slice(1).join(" ")}`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn("/usr/bin/time", ["-f", "%U %S %M", "-o", timing, ...job.command], { stdio: ["ignore", "inherit", "ignore"] });
    child.on("close", (status) => resolve(status ?? -1));
  });
  if (code !== 0) throw new Error(`${job.label} failed with exit ${code}`);
  const [user, system, maxRssKb] = readFileSync(timing, "utf8").trim().split(/\s+/).slice(-3).map(Number);
  writeFileAtomic(join(job.out, "usage.json"), JSON.stringify({
    cpuSeconds: user + system, wallSeconds: (performance.now() - started) / 1000, maxRssMb: maxRssKb / 1024, loadAverage: loadavg()[0],
  }, null, 2) + "\n");
  console.log(`[bench] ${job.label}: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
