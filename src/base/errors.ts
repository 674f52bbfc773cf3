// The one kind of failure a user can cause and fix. Every phase throws it; only
// the CLI (src/cli/main.ts) catches it, prints it and picks the exit code, so
// no library code ever calls process.exit.
/** An error the user can fix. The CLI prints its message and exits with `exitCode`. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
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
