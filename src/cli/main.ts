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
const { Command } = createRequire(import.meta.url)("commander") as typeof import("commander");
import { version } from "../base/version.js";
import { failure } from "./failure.js";
import { endQuietlyOnClosedOutput, useColor } from "./io.js";

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
    .exitOverride();
  // Commander's own error line is not printed: main() prints the coded one (src/cli/failure.ts).
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} });
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
    const { text, exitCode } = failure(error, useColor(), Boolean(process.env.MOTC_DEBUG));
    process.stderr.write(text);
    return exitCode;
  }
}

endQuietlyOnClosedOutput();
main(process.argv).then((code) => {
  process.exitCode = code;
});
