// The CLI's terminal edge: whether stderr takes colour, writing to stdout at
// the pace of its reader, and what happens when the reader goes away.
import { once } from "node:events";
import { UserError, describeFsError, formatUserError } from "../base/errors.js";

export const useColor = (): boolean => Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;

/** Writes `text` to stdout, waiting while the reader is behind (so a large output is never buffered whole). */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

/**
 * A reader that stops early (`motc generate … | head -c 1`, `motc explain
 * --json big.mot | head`) closes the pipe, and the next write fails with EPIPE.
 * motc then stops at once, quietly, with status 0 — as most Node CLIs do:
 * the reader has all it asked for, so this is no failure. Any other error
 * of stdout or stderr (a full disk behind `> file`) is one coded line, exit 1.
 * Installed once, by main.ts.
 */
export function endQuietlyOnClosedOutput(): void {
  for (const [stream, name] of [[process.stdout, "stdout"], [process.stderr, "stderr"]] as const) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      if (stream !== process.stderr) process.stderr.write(formatUserError(new UserError("MOT202", [name, describeFsError(error)]), useColor()) + "\n");
      process.exit(1);
    });
  }
}
