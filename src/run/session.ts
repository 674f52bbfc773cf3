// onnxruntime-node sessions on the best execution provider the machine has.
// `--ep` is a preference list; each provider is tried in order and the first that
// opens the model runs it. What fell back is said in ONE line (through `notice`),
// and the provider that ran is always reported back to the caller.
// onnxruntime is imported lazily: `motc check` never pays for loading it.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import type { InferenceSession } from "onnxruntime-node";
import { UserError } from "../base/errors.js";
import { readModelInfo, type ModelInfo } from "./model-info.js";

/** Providers the bundled Linux/macOS/Windows onnxruntime-node builds know, by motc's names. */
export const EXECUTION_PROVIDERS = ["cuda", "tensorrt", "webgpu", "dml", "coreml", "cpu"] as const;
export type ProviderName = (typeof EXECUTION_PROVIDERS)[number];
export const DEFAULT_PROVIDERS = "cuda,webgpu,cpu";

export interface SessionOptions {
  /** Preference order; `cpu` is appended when absent so something always runs. */
  providers?: readonly ProviderName[];
  /** Intra-op threads; default: every core the process may use. */
  threads?: number;
  /** Receives the one-line fallback notice (default: stderr, prefixed "motc: "). */
  notice?: (line: string) => void;
}

export interface RunSession {
  session: InferenceSession;
  /** The provider that opened the model (and runs every node it supports). */
  provider: ProviderName;
  info: ModelInfo;
  /** Providers tried before `provider`, with why each could not be used. */
  fallbacks: { provider: ProviderName; reason: string }[];
}

/** Parses `--ep cuda,webgpu,cpu`; an unknown name is a usage error (exit 2). */
export function parseProviders(list: string): ProviderName[] {
  const names = list.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
  if (names.length === 0) throw new UserError("MOT412", [EXECUTION_PROVIDERS.join(", ")]);
  for (const name of names) {
    if (!(EXECUTION_PROVIDERS as readonly string[]).includes(name)) {
      throw new UserError("MOT413", [name, EXECUTION_PROVIDERS.join(", ")]);
    }
  }
  return [...new Set(names)] as ProviderName[];
}

type Ort = typeof import("onnxruntime-node");
let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node, loaded once, with its native logging kept off motc's stderr. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import("onnxruntime-node").then((ort) => {
    // Failed providers log red [E:onnxruntime] lines before throwing; the thrown
    // error carries the same text, so native logging stays at "fatal".
    ort.env.logLevel = process.env.MOTC_DEBUG ? "warning" : "fatal";
    return ort;
  });
  return ortModule;
}

/**
 * A graph of more nodes than this is optimised at onnxruntime's "basic" level
 * (constant folding, redundant nodes) rather than "all": the fusions cost more
 * to find than a deep, narrow graph gains from them. Opening 1,000 sublayers
 * (~22,000 nodes) took, in CPU seconds: "all" 7.1, "basic" 4.1, none 1.7.
 */
export const LARGE_GRAPH_NODES = 20_000;
/**
 * A graph of more nodes than this is not optimised at all, and `run` and
 * `generate` say first that opening it takes minutes: onnxruntime's own setup
 * grows faster than the node count (a bare chain of 15,000 nodes takes 3 s,
 * 60,000 21 s). 9,998 sublayers (~220,000 nodes): "basic" 180 s, none 83 s.
 */
export const SLOW_GRAPH_NODES = 100_000;

/** onnxruntime's graph optimisation level for a graph of `nodes` nodes. */
export function optimizationLevel(nodes: number): "all" | "basic" | "disabled" {
  return nodes > SLOW_GRAPH_NODES ? "disabled" : nodes > LARGE_GRAPH_NODES ? "basic" : "all";
}

/** Session options shared by every provider: quiet, all cores, no spinning; `nodes` picks the optimisation level. */
export function sessionOptions(provider: ProviderName, threads?: number, nodes = 0): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    logSeverityLevel: process.env.MOTC_DEBUG ? 2 : 4,
    graphOptimizationLevel: optimizationLevel(nodes),
    executionMode: "sequential",
    intraOpNumThreads: threads ?? availableParallelism(),
    interOpNumThreads: 1,
    // Spinning threads burn the cores they wait on; on small or shared machines
    // that costs more than it saves (issue 3's measurements on 2-core machines:
    // matmul throughput is higher with spinning off).
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  };
}

/**
 * Opens `path` on the first provider in `options.providers` that works.
 * A missing or corrupt file, or a model no provider can open, is a UserError.
 */
export async function openSession(path: string, options: SessionOptions = {}): Promise<RunSession> {
  const info = readModelInfo(path);
  const preferred = options.providers ?? parseProviders(DEFAULT_PROVIDERS);
  const providers = preferred.includes("cpu") ? preferred : [...preferred, "cpu" as const];
  const ort = await loadOrt();
  const notice = options.notice ?? stderrNotice;
  const slow = slowGraphNotice(path, info.nodes);
  if (slow) notice(slow);
  const fallbacks: RunSession["fallbacks"] = [];
  for (const provider of providers) {
    const missing = missingPrerequisite(provider);
    if (missing) {
      fallbacks.push({ provider, reason: missing });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(path, sessionOptions(provider, options.threads, info.nodes));
      if (fallbacks.length > 0) notice(fallbackNotice(fallbacks, provider));
      return { session, provider, info, fallbacks };
    } catch (error) {
      const reason = firstLine(error);
      // A model the CPU provider cannot load is broken, not a provider problem.
      if (provider === "cpu") throw new UserError("MOT411", [path, reason]);
      fallbacks.push({ provider, reason: shortReason(reason) });
    }
  }
  // cpu is always tried, last, and either opens the model or throws MOT411 above.
  throw new Error(`no execution provider opened ${path} (${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join("; ")})`);
}

/** The line `run` and `generate` print before opening a graph of more than SLOW_GRAPH_NODES nodes. */
export function slowGraphNotice(path: string, nodes: number): string | undefined {
  if (nodes <= SLOW_GRAPH_NODES) return undefined;
  return `${path} has ${nodes.toLocaleString("en-US")} nodes: onnxruntime takes minutes to prepare a graph this large (its setup grows faster than the node count)`;
}

export function fallbackNotice(fallbacks: RunSession["fallbacks"], provider: ProviderName): string {
  return `${fallbacks.map((f) => `${f.provider} unavailable (${f.reason})`).join(", ")}; using ${provider}`;
}

const stderrNotice = (line: string) => process.stderr.write(`motc: ${line}\n`);

/**
 * Checks what a provider needs before asking onnxruntime, for a clear reason and
 * no native noise: CUDA/TensorRT need the optional provider libraries beside the
 * binding; WebGPU on Linux needs a Vulkan loader (without one, Dawn prints its own
 * warning to stderr that the session log level cannot silence).
 */
function missingPrerequisite(provider: ProviderName): string | undefined {
  const platform = process.platform;
  switch (provider) {
    case "cuda":
    case "tensorrt": {
      if (platform !== "linux" && platform !== "win32") return `not built for ${platform}`;
      const library = platform === "linux" ? `libonnxruntime_providers_${provider}.so` : `onnxruntime_providers_${provider}.dll`;
      return existsSync(join(bindingDir(), library)) ? undefined : `${library} not found`;
    }
    case "webgpu":
      if (platform === "linux" && !findSharedLibrary("libvulkan.so.1")) return "no Vulkan driver: libvulkan.so.1 not found";
      return undefined;
    case "dml":
      return platform === "win32" ? undefined : "DirectML is Windows-only";
    case "coreml":
      return platform === "darwin" ? undefined : "CoreML is macOS-only";
    case "cpu":
      return undefined;
  }
}

function bindingDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve("onnxruntime-node/package.json"));
  return join(packageDir, "bin", "napi-v6", process.platform, process.arch);
}

function findSharedLibrary(name: string): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`,
    "/usr/lib64", "/usr/lib", "/lib64", "/lib", "/usr/local/lib",
  ];
  return dirs.some((dir) => existsSync(join(dir, name)));
}

function shortReason(reason: string): string {
  if (/Failed to load shared library/i.test(reason)) return "its shared library failed to load";
  if (/adapter/i.test(reason)) return "no GPU adapter";
  return reason.length > 120 ? `${reason.slice(0, 117)}...` : reason;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // onnxruntime prefixes "/onnxruntime_src/...cc:136 fn() cond was false." — keep the sentence.
  const line = message.split("\n").find((l) => l.trim().length > 0) ?? message;
  return line.replace(/^\/onnxruntime_src\/\S+ .*? was false\. /, "").replace(/^\[ONNXRuntimeError\] : \d+ : \w+ : /, "").trim();
}
