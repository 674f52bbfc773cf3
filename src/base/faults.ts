// Fault injection, for motc's own tests only: MOTC_TEST_FAULT=POINT[#N][:SIGNAL]
// makes the process send itself SIGNAL (default SIGKILL) the Nth time (default
// the first) it reaches the named point, so a test can end a write exactly
// between two of its steps — the window a real crash or Ctrl-C may hit. Never
// set it otherwise. Points:
//   write-chunk     after the first chunk a writeFilesAtomicAsync writes (src/base/files.ts)
//   before-rename   every temporary of an atomic write written, none renamed (src/base/files.ts)
//   run-rename      before a rename of a checkpoint or transition write (src/train/rundir.ts)
//   run-write       halfway through a file of a checkpoint or transition write (src/train/rundir.ts)

const reached = new Map<string, number>();

/** The signal to send now: the fault names `point` and this is its Nth arrival there. */
export function faultDue(point: string): NodeJS.Signals | undefined {
  const fault = process.env.MOTC_TEST_FAULT;
  if (!fault) return undefined;
  const match = /^([a-z-]+)(?:#(\d+))?(?::([A-Z0-9]+))?$/.exec(fault);
  if (!match || match[1] !== point) return undefined;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  return count === Number(match[2] ?? 1) ? ((match[3] ?? "SIGKILL") as NodeJS.Signals) : undefined;
}

/** Sends the fault's signal if MOTC_TEST_FAULT names `point` and this is the arrival it names. */
export function faultPoint(point: string): void {
  const signal = faultDue(point);
  if (signal) process.kill(process.pid, signal);
}
