// Shared by tests: where the repository is, and running the built CLI as a user would.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root (this file compiles to dist/test/support/cli.js). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
/** The CLI as tsc builds it: what every test runs, so a plain `tsc -p .` is enough while developing. */
export const motcBin = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
/** The CLI as `npm run build` bundles it: package.json's `bin`, what users run (test/cli/bundle.test.ts). */
export const motcBundle = fileURLToPath(new URL("../../bundle/motc/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `motc ARGS` in the repository root, stdin closed, no TTY. */
export function runMotc(args: string[], options: { cwd?: string; timeoutMs?: number; input?: string; bin?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [options.bin ?? motcBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
    input: options.input ?? "",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
