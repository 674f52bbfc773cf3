// How a command that failed ends: every failure — commander's usage errors, a
// UserError from any phase, a bug — becomes one coded line on stderr
// (`motc: error MOTnnn: …`, src/base/messages.ts) and an exit status.
import type { CommanderError } from "commander";
import { UserError, formatUserError } from "../base/errors.js";

export interface Failure {
  /** What goes to stderr, ending in a newline; empty when commander has printed all there is. */
  text: string;
  exitCode: number;
}

const USAGE_HINT = "(run 'motc --help' for usage)";

/**
 * The report of `error`, thrown by a command. `debug` (MOTC_DEBUG) puts the
 * stack of an internal error in place of its one-line message.
 */
export function failure(error: unknown, color: boolean, debug = false): Failure {
  if (isCommanderError(error)) {
    // --help and --version end here, with code 0.
    if (error.exitCode === 0) return { text: "", exitCode: 0 };
    const usage = usageError(error);
    if (usage) {
      // After the help commander shows for a missing command, pointing at --help again is noise.
      const hint = usage.code === "MOT215" ? "" : `${USAGE_HINT}\n`;
      return { text: `${formatUserError(usage, color)}\n${hint}`, exitCode: usage.exitCode };
    }
  }
  if (error instanceof UserError) return { text: formatUserError(error, color) + "\n", exitCode: error.exitCode };
  // With MOTC_DEBUG the stack's first line is the message and its frames follow, as node prints them.
  const [detail, ...frames] = ((debug ? (error as Error)?.stack : (error as Error)?.message) ?? String(error)).split("\n");
  const internal = new UserError("MOT900", [debug ? detail : [detail, ...frames].join("\n")]);
  const after = debug ? frames.map((frame) => `${frame}\n`).join("") : "(please report this; set MOTC_DEBUG=1 for a stack trace)\n";
  return { text: `${formatUserError(internal, color)}\n${after}`, exitCode: internal.exitCode };
}

function isCommanderError(error: unknown): error is CommanderError {
  return error instanceof Error && typeof (error as CommanderError).code === "string" && (error as CommanderError).code.startsWith("commander.");
}

/**
 * Commander's usage error as a coded UserError (exit 2). Commander reports
 * only a sentence, so the names in it are taken from its quotes; should a
 * future commander phrase one differently, its whole sentence stands in.
 * Undefined for an error of a commander feature motc does not use (e.g.
 * conflicting options): reaching that is a bug in motc, an internal error.
 */
export function usageError(error: CommanderError): UserError | undefined {
  const [sentence, ...rest] = error.message.replace(/^error: /, "").split("\n");
  const quoted = [...sentence.matchAll(/'([^']*)'/g)].map((m) => m[1]);
  const quote = (i: number) => quoted[i] ?? sentence;
  const suggestion = /^\(Did you mean (.*)\?\)$/.exec(rest.join(" ").trim())?.[1];
  const hint = suggestion === undefined ? {} : { hint: `did you mean '${suggestion}'?` };
  switch (error.code) {
    case "commander.unknownCommand": return new UserError("MOT200", [quote(0)], hint);
    case "commander.unknownOption": return new UserError("MOT210", [quote(0)], hint);
    case "commander.missingArgument": return new UserError("MOT211", [quote(0)]);
    case "commander.optionMissingArgument": return new UserError("MOT212", [quote(0)]);
    case "commander.missingMandatoryOptionValue": return new UserError("MOT213", [quote(0)]);
    case "commander.excessArguments": {
      const counts = /Expected (\d+) arguments? but got (\d+)/.exec(sentence);
      return new UserError("MOT214", [quote(0), counts?.[1] ?? "?", counts?.[2] ?? "?"]);
    }
    case "commander.invalidArgument": {
      // "option '-f, --format <format>' argument 'x' is invalid. Allowed choices are a, b." or,
      // from src/cli/numbers.ts, "… is invalid. a positive whole number"
      const expected = sentence.replace(/^.*? is invalid\. /, "").replace(/^Allowed choices are (.*)\.$/, "one of $1");
      const flag = quote(0).split(/[ ,]+/).find((word) => word.startsWith("--")) ?? quote(0);
      return new UserError("MOT220", [flag, expected, quoted[1] ?? ""]);
    }
    case "commander.help": return new UserError("MOT215");
    default: return undefined;
  }
}
