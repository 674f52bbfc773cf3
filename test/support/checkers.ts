// The independent checkers some tests hold motc's output against: Debian's
// python3-onnx and python3-torch (through /usr/bin/python3, not a pyenv python)
// and chromium. Where one is missing, its tests skip and say why; under CI (the
// environment has CI set, as CI systems and .ci/run do) they fail instead, naming
// what is missing, so a green CI run always includes the independent checks.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestContext } from "node:test";

/** The python whose onnx and torch the tests use (MOTC_TEST_PYTHON overrides it, e.g. /nonexistent to see the rule work). */
export const python = process.env.MOTC_TEST_PYTHON ?? "/usr/bin/python3";
/** The browser that renders motc's pictures (MOTC_TEST_CHROMIUM overrides it). */
export const chromium = process.env.MOTC_TEST_CHROMIUM ?? "/usr/bin/chromium";

export type Checker = "python3-onnx" | "python3-torch" | "chromium";

/** Whether this run is CI's: CI set to anything but "", "0" or "false". */
export function underCi(): boolean {
  const value = process.env.CI;
  return value !== undefined && !["", "0", "false"].includes(value.toLowerCase());
}

const probed = new Map<Checker, string | undefined>();

/** Why `checker` cannot run here, or undefined when it can (probed once per process). */
export function missingChecker(checker: Checker): string | undefined {
  if (!probed.has(checker)) probed.set(checker, probe(checker));
  return probed.get(checker);
}

function probe(checker: Checker): string | undefined {
  if (checker === "chromium") return existsSync(chromium) ? undefined : `${chromium} is not installed`;
  const module = checker === "python3-onnx" ? "onnx" : "torch";
  const result = spawnSync(python, ["-c", `import ${module}`], { encoding: "utf8", timeout: 60_000 });
  if (result.error) return `${python} cannot run (${result.error.message})`;
  if (result.status !== 0) return `${python} cannot import ${module} (${result.stderr.trim().split("\n").pop()})`;
  return undefined;
}

/**
 * True when `checker` is there. Otherwise the test skips with the reason, or,
 * under CI, fails with it; either way the caller returns at once on false.
 */
export function requireChecker(t: TestContext, checker: Checker): boolean {
  const reason = missingChecker(checker);
  if (reason === undefined) return true;
  if (underCi()) throw new Error(`${checker} is missing, and under CI the independent check it makes cannot be skipped: ${reason}`);
  t.skip(`${checker} is missing: ${reason}`);
  return false;
}
