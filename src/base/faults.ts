// Fault injection, for motc's own tests only: MOTC_TEST_FAULT=POINT[:SIGNAL]
// makes the process send itself SIGNAL (default SIGKILL) when it reaches the
// named point, so a test can kill a write exactly between two of its steps —
// the window a real crash or Ctrl-C may hit. Never set it otherwise. Points:
//   write-chunk     after the first chunk a writeFilesAtomicAsync writes
//   before-rename   every temporary written, none renamed (src/base/files.ts)

let fired = false;

/** Sends the fault's signal the first time the process reaches `point`, if MOTC_TEST_FAULT names it. */
export function faultPoint(point: string): void {
  const fault = process.env.MOTC_TEST_FAULT;
  if (!fault || fired) return;
  const [name, signal = "SIGKILL"] = fault.split(":");
  if (name !== point) return;
  fired = true;
  process.kill(process.pid, signal as NodeJS.Signals);
}
