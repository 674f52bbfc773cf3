#!/usr/bin/env node
// motc's entry point. Each command lives in its own file and registers itself;
// heavy libraries (onnxruntime, tfjs) are imported inside the actions that need
// them, so `check`, `fmt` and `explain` start as fast as node itself.
//
// Users run it bundled (package.json's bin, dist/bundle/motc/main.js): `npm run
// build` has esbuild put each command and the modules it needs into a few
// chunks, which start ~10 ms sooner than node's loader fetching some 30 ES
// modules one by one. tsc's output (dist/src/cli/main.js) runs the same code and
// is what the tests use; test/cli/bundle.test.ts holds the two to the same output.
import { createRequire } from "node:module";
// commander through require: its ESM wrapper costs ~5 ms of every start.
const { Command, CommanderError } = createRequire(import.meta.url)("commander") as typeof import("commander");
import { UserError } from "../base/errors.js";
import { version } from "../base/version.js";

type CommandModule = { register: (program: InstanceType<typeof Command>) => void };

// Only the command being run is loaded (all of them for --help), so a command
// never pays for another's imports at startup.
const commands: Record<string, () => Promise<CommandModule>> = {
  check: () => import("./check.js"),
  compile: () => import("./compile.js"),
  run: () => import("./run.js"),
  generate: () => import("./generate.js"),
  explain: () => import("./explain.js"),
  fmt: () => import("./fmt.js"),
  summary: () => import("./summary.js"),
  diff: () => import("./diff.js"),
  train: () => import("./train.js"),
  graph: () => import("./graph.js"),
  transition: () => import("./transition.js"),
  data: () => import("./data.js"),
};

async function main(argv: string[]): Promise<number> {
  const program = new Command("motc")
    .description("compiler for Mixture-of-Tokens transformer specs (.mot)")
    .version(version, "-V, --version")
    .showHelpAfterError("(run 'motc --help' for usage)")
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const requested = argv[2];
  const names = Object.hasOwn(commands, requested)
    ? [requested]
    : requested === "-V" || requested === "--version" ? [] : Object.keys(commands);
  for (const name of names) (await commands[name]()).register(program);
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
