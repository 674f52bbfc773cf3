// The signals that end a command — SIGINT (Ctrl-C), SIGTERM (timeout, docker
// stop, Slurm) and SIGHUP (a closed terminal or ssh session) — and how a
// command that writes ends under them: its temporaries removed
// (abandonWrites, src/base/files.ts), one coded line, and the exit status a
// shell gives a process the signal killed (128 + the signal's number).
// Shared by the commands: `compile` guards its writes with guardWrites();
// `train` stops after a step on the first signal (onStopSignals) and leaves
// through exitOnSignal on a second.
import { UserError, formatUserError } from "../base/errors.js";
import { abandonWrites } from "../base/files.js";
import { useColor } from "./io.js";

/** The exit status for each signal that stops a command. */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** Calls `handler` on each stop signal until the returned function is called. */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((signal) => {
    const listener = () => handler(signal);
    process.on(signal, listener);
    return { signal, listener };
  });
  return () => handlers.forEach(({ signal, listener }) => process.off(signal, listener));
}

/** Ends the process now: every write in progress removed, `error`'s line printed, the signal's status. */
export function exitOnSignal(signal: StopSignal, error?: UserError): never {
  abandonWrites();
  if (error) process.stderr.write(formatUserError(error, useColor()) + "\n");
  process.exit(STOP_SIGNALS[signal]);
}

/**
 * Runs `write` (an asynchronous atomic write of `outputs`); a stop signal
 * meanwhile removes its temporaries and ends the process with MOT206 and the
 * signal's status. Outside `write` the default action applies: a signal
 * during the (synchronous) lowering ends the process before any file exists.
 */
export async function guardWrites<T>(outputs: string, write: () => Promise<T>): Promise<T> {
  const dispose = onStopSignals((signal) => exitOnSignal(signal, new UserError("MOT206", [signal, outputs], { exitCode: STOP_SIGNALS[signal] })));
  try {
    return await write();
  } finally {
    dispose();
  }
}
