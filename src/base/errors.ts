// The one kind of failure a user can cause and fix. Every phase throws it with a
// code of the message table (src/base/messages.ts); only the CLI
// (src/cli/main.ts) catches it, prints it and exits with its code, so no
// library code ever calls process.exit.
import { exitCodeOf, formatMessage, messageLine, printable, type FailureCode, type MessageArgument } from "./messages.js";

export interface UserErrorOptions {
  /** The exit status, when a command's convention differs from the table's (diff(1): trouble is 2). */
  exitCode?: number;
  /** A second line, e.g. "did you mean 'check'?". */
  hint?: string;
}

/** An error the user can fix: message `code` of the table with `args` filled in. */
export class UserError extends Error {
  readonly exitCode: number;
  readonly hint?: string;

  constructor(
    readonly code: FailureCode,
    readonly args: readonly MessageArgument[] = [],
    options: UserErrorOptions = {},
  ) {
    super(formatMessage(code, args));
    this.exitCode = options.exitCode ?? exitCodeOf(code);
    this.hint = options.hint;
  }
}

/**
 * Renders a failure of a command, on one line (and its hint on the next):
 *   motc: error MOT201: cannot read out/x.onnx: no such file or directory
 */
export function formatUserError(error: UserError, color = false): string {
  const line = messageLine("motc: ", "error", error.code, error.message, color);
  return error.hint ? `${line}\n  hint: ${printable(error.hint)}` : line;
}

/** A Node file-system error in words ("no such file or directory"), for messages. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENOENT": return "no such file or directory";
    case "EACCES": case "EPERM": return "permission denied";
    case "EISDIR": return "is a directory";
    case "ENOTDIR": return "not a directory";
    case "ENOSPC": return "no space left on device";
    default: return error instanceof Error ? error.message : String(error);
  }
}
