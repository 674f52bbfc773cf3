// Choosing the tfjs backend at run time (`--backend auto|tensorflow|webgpu|wasm|cpu`).
// Every backend is imported lazily and may fail to start: that is reported with
// one line and `auto` moves on to the next, fastest first; a backend asked for by
// name that cannot start ends the run with that line. Never a crash.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UserError } from "../base/errors.js";
import type { TF } from "./ops.js";
import { registerWasmKernels } from "./wasm/index.js";

export type BackendPreference = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";
export const BACKENDS: readonly BackendPreference[] = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];

export interface BackendChoice {
  tf: TF;
  /** The tfjs backend now active: "tensorflow", "webgpu", "wasm" or "cpu". */
  name: string;
}

/** A started backend: what its line says in parentheses, and notes for the lines after it. */
interface Started {
  detail: string;
  notes?: string[];
}

type Starter = (tf: TF) => Promise<Started>;

/** Fastest first: native TensorFlow (CUDA or CPU), WebGPU on Dawn, WASM SIMD, plain JS. */
const AUTO_ORDER = ["tensorflow", "webgpu", "wasm", "cpu"] as const;

export async function selectBackend(preference: BackendPreference, log: (line: string) => void): Promise<BackendChoice> {
  const tf = await import("@tensorflow/tfjs-core");
  const order = preference === "auto" ? AUTO_ORDER : [preference];
  const failures: string[] = [];
  for (const name of order) {
    try {
      const { detail, notes = [] } = await STARTERS[name](tf);
      log(`tfjs backend: ${name}${detail ? ` (${detail})` : ""}`);
      for (const note of notes) log(note);
      return { tf, name };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      failures.push(`${name}: ${reason}`);
      if (preference === "auto") log(`tfjs backend ${name} unavailable: ${reason}; trying the next`);
    }
  }
  if (preference !== "auto") throw new UserError("MOT540", [failures[0]]);
  throw new UserError("MOT541", [failures.join("; ")]);
}

const STARTERS: Record<(typeof AUTO_ORDER)[number], Starter> = {
  tensorflow: startTensorflow,
  webgpu: startWebgpu,
  wasm: startWasm,
  cpu: startCpu,
};

/** `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`: optional, installed by the user. */
async function startTensorflow(tf: TF): Promise<Started> {
  const reasons: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      await importOptional(pkg);
    } catch (error) {
      reasons.push(isNotFound(error) ? `${pkg} is not installed` : `${pkg} failed to load: ${firstLine(error)}`);
      continue;
    }
    // The package registers "tensorflow" on its own copy of tfjs-core; it must be ours.
    if (!tf.findBackendFactory("tensorflow")) {
      reasons.push(`${pkg} uses another copy of @tensorflow/tfjs-core than motc's ${tf.version_core}`);
      continue;
    }
    await activate(tf, "tensorflow");
    return { detail: pkg };
  }
  throw new Error(`${reasons.join(", ")} (npm install @tensorflow/tfjs-node to add it)`);
}

/** `@tensorflow/tfjs-backend-webgpu` on Dawn through the `webgpu` package. */
async function startWebgpu(tf: TF): Promise<Started> {
  // Dawn reaches Linux GPUs through Vulkan; without the loader it finds no adapter
  // (and says so on stderr), so look for it first.
  if (process.platform === "linux" && !hasVulkanLoader()) throw new Error("no Vulkan loader (libvulkan.so.1) for Dawn");
  const dawn = (await import("webgpu")) as { create(options: string[]): GpuLike; globals: object };
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error("Dawn found no GPU adapter");
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  await import("@tensorflow/tfjs-backend-webgpu");
  await activate(tf, "webgpu");
  return { detail: adapterName(adapter) };
}

/**
 * `@tensorflow/tfjs-backend-wasm`, SIMD build, its binaries read from node_modules,
 * with motc's kernels (wasm/): the line says whether its SIMD matmul runs, and
 * one line follows for each kernel that stayed off.
 */
async function startWasm(tf: TF): Promise<Started> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const entry = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(dirname(entry) + "/");
  await activate(tf, "wasm");
  const kernels = registerWasmKernels(tf);
  // Training differentiates the embedding lookup, whose gradient wasm lacks without motc's kernel.
  if (!tf.getKernel("UnsortedSegmentSum", "wasm")) throw new Error(kernels.off.find((line) => line.includes("UnsortedSegmentSum")) ?? "wasm has no UnsortedSegmentSum");
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = wasm.getThreadsCount();
  return {
    detail: `${simd ? "SIMD" : "no SIMD"}, ${threads} thread${threads === 1 ? "" : "s"}; motc SIMD matmul ${kernels.simdMatmul ? "on" : "off"}`,
    notes: kernels.off,
  };
}

async function startCpu(tf: TF): Promise<Started> {
  await import("@tensorflow/tfjs-backend-cpu");
  await activate(tf, "cpu");
  // Its first write prints a banner recommending tfjs-node; selectBackend already said which runs.
  (tf.backend() as { firstUse?: boolean }).firstUse = false;
  return { detail: "plain JavaScript, slow" };
}

/** Makes `name` the active backend; an initialisation failure becomes a thrown error. */
async function activate(tf: TF, name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    ok = false;
    if (error instanceof Error) throw new Error(`${name} failed to initialise: ${firstLine(error)}`);
  }
  if (!ok || tf.getBackend() !== name) {
    if (tf.findBackendFactory(name)) tf.removeBackend(name);
    throw new Error(`${name} failed to initialise`);
  }
  await tf.ready();
}

interface GpuLike {
  requestAdapter(): Promise<object | null>;
}

function adapterName(adapter: object): string {
  const info = (adapter as { info?: { description?: string; vendor?: string } }).info;
  return info?.description || info?.vendor || "GPU";
}

function hasVulkanLoader(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu",
  ];
  return dirs.some((dir) => existsSync(join(dir, "libvulkan.so.1")));
}

/** A dynamic import TypeScript does not resolve: the package is an optional peer. */
function importOptional(pkg: string): Promise<unknown> {
  return import(pkg);
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
