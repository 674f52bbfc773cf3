#!/usr/bin/env node
// motc's entry point. Each command lives in its own file and registers itself;
// heavy libraries (onnxruntime, tfjs) are imported inside the actions that need
// them, so `check`, `fmt` and `explain` start as fast as node itself.
import { Command, CommanderError } from "commander";
import { UserError } from "./io.js";
import { register as check } from "./check.js";
import { register as run } from "./run.js";
import { register as generate } from "./generate.js";
import { register as explain } from "./explain.js";
import { register as fmt } from "./fmt.js";
import { register as compile } from "./compile.js";
import { register as train } from "./train.js";
import { register as summary } from "./summary.js";
import { register as diff } from "./diff.js";
import { register as graph } from "./graph.js";
import { register as transition } from "./transition.js";
import { version } from "./version.js";

const commands: ((program: Command) => void)[] = [check, compile, run, generate, explain, fmt, summary, diff, train, graph, transition];

async function main(argv: string[]): Promise<number> {
  const program = new Command("motc")
    .description("compiler for Mixture-of-Tokens transformer specs (.mot)")
    .version(version, "-V, --version")
    .showHelpAfterError("(run 'motc --help' for usage)")
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  // Sub-commands inherit exitOverride only when set before they are added.
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors with 2, like getopt tools.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UserError) {
      process.stderr.write(`motc: ${error.message}\n`);
      return error.exitCode;
    }
    const detail = process.env.MOTC_DEBUG ? (error as Error)?.stack : (error as Error)?.message ?? String(error);
    process.stderr.write(`motc: internal error: ${detail}\n(please report this; set MOTC_DEBUG=1 for a stack trace)\n`);
    return 70;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
