// A model compiled by `motc compile` (issue 3's lowering), cached per test process.
// Returns the .onnx path, or why there is none (the compiler not yet built).
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { runMotc } from "../support/cli.js";
import { scratchDir } from "./toy-model.js";

const cache = new Map<string, string | { reason: string }>();

export function compiledModel(spec: string, kvCache: boolean, extra: string[] = []): string | { reason: string } {
  const key = [spec, kvCache, ...extra].join(" ");
  const cached = cache.get(key);
  if (cached) return cached;
  const out = scratchDir("motc-compiled-");
  const result = runMotc(["compile", spec, "--out", out, ...(kvCache ? ["--kv-cache"] : []), ...extra], { timeoutMs: 120_000 });
  const model = extra.includes("--model") ? extra[extra.indexOf("--model") + 1] : basename(spec, ".mot");
  const path = join(out, `${model}.onnx`);
  const answer = result.code === 0 && existsSync(path) ? path : { reason: `motc compile ${spec} failed (exit ${result.code}): ${result.stderr.trim().split("\n")[0]}` };
  cache.set(key, answer);
  return answer;
}
