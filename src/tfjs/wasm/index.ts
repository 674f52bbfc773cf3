// motc's kernels for tfjs' `wasm` backend, registered when it starts (../backend.ts):
// the SIMD matmul (matmul.ts, simd.ts) and kernels that copy less (copies.ts).
// They rely on BackendWasm's internals (internals.ts), so each replacement is
// probed first: the members it uses must be there, and it must give the right
// values on a small case run through those internals. A replacement that fails
// stays off, the stock kernels stay in place, and the report says why in one line.
import type * as tfc from "@tensorflow/tfjs-core";
import type { TF } from "../ops.js";
import { blockedTranspose, gatherRows, sharedIdentity, slice, splitV, unpack, unsortedSegmentSum } from "./copies.js";
import { ADDRESSES, HEAP, REF_COUNTS, addressMismatch, missingMember, type WasmBackend } from "./internals.js";
import { batchMatMul } from "./matmul.js";
import { batchedMatMulFor } from "./simd.js";
import { checkGather, checkIdentity, checkMatMul, checkSlices, checkSegmentSum, checkTranspose, type RunKernel } from "./self-check.js";

export { matmulRuns } from "./matmul.js";

export interface WasmKernelReport {
  /** Whether BatchMatMul runs motc's SIMD kernel: what the training header says. */
  simdMatmul: boolean;
  /** One line per replacement left off, e.g. "wasm SIMD matmul off: BackendWasm.dataIdMap.get is missing". */
  off: string[];
}

type Stock = (kernelName: string) => tfc.KernelFunc;

interface Replacement {
  /** Its name in the report's line. */
  name: string;
  /** The kernels it registers. */
  replaces: string[];
  needs: Parameters<typeof missingMember>[1];
  /** Why it cannot run on this backend beyond a missing member, or undefined. */
  probe?(tf: TF, backend: WasmBackend): string | undefined;
  /** Kernel name → kernel, for each it replaces; `stock` throws where tfjs has no stock kernel of that name. */
  build(tf: TF, stock: Stock, backend: WasmBackend): Record<string, tfc.KernelFunc>;
  /** Runs the kernels on a small case with known values: what differs, or undefined. */
  check(tf: TF, run: RunKernel): string | undefined;
}

const REPLACEMENTS: Replacement[] = [
  {
    name: "SIMD matmul",
    replaces: ["BatchMatMul"],
    needs: ADDRESSES,
    probe: (tf, backend) => addressMismatch(tf, backend) ?? (batchedMatMulFor(backend.wasm.asm.memory) ? undefined : "this engine has no WebAssembly SIMD"),
    build: (tf, stock, backend) => ({
      BatchMatMul: batchMatMul(stock("BatchMatMul"), batchedMatMulFor(backend.wasm.asm.memory)!, () => tf.getKernel("Transpose", "wasm")!.kernelFunc),
    }),
    check: checkMatMul,
  },
  {
    name: "blocked Transpose", replaces: ["Transpose"], needs: HEAP,
    build: (_, stock) => ({ Transpose: blockedTranspose(stock("Transpose")) }), check: checkTranspose,
  },
  {
    name: "row GatherV2", replaces: ["GatherV2"], needs: HEAP,
    build: (tf, stock) => ({ GatherV2: gatherRows(tf, stock("GatherV2")) }), check: checkGather,
  },
  {
    name: "shared Identity", replaces: ["Identity"], needs: [...HEAP, ...REF_COUNTS],
    build: (_, stock) => ({ Identity: sharedIdentity(stock("Identity")) }), check: checkIdentity,
  },
  {
    name: "Slice, Unpack and SplitV", replaces: ["Slice", "Unpack", "SplitV"], needs: HEAP,
    build: (tf) => ({ Slice: slice(tf), Unpack: unpack(tf), SplitV: splitV(tf) }), check: checkSlices,
  },
  {
    name: "UnsortedSegmentSum", replaces: ["UnsortedSegmentSum"], needs: HEAP,
    build: () => ({ UnsortedSegmentSum: unsortedSegmentSum }), check: checkSegmentSum,
  },
];

/** tfjs' own kernels, kept from the first registration on (tfjs' registry is global). */
const stockKernels = new Map<string, tfc.KernelConfig>();
/** motc's kernel functions, to tell them from the stock ones when registering again. */
const ours = new WeakSet<tfc.KernelFunc>();

/**
 * Puts the stock kernels back, then registers each replacement whose probe and
 * check pass on `backend` (the started wasm backend). Safe to call again.
 */
export function registerWasmKernels(tf: TF, backend: unknown = tf.findBackend("wasm")): WasmKernelReport {
  restoreStock(tf);
  const stock: Stock = (name) => {
    const kernel = stockKernels.get(name);
    if (!kernel) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
    return kernel.kernelFunc;
  };
  const off: string[] = [];
  for (const replacement of REPLACEMENTS) {
    const reason = tryReplacement(tf, replacement, stock, backend);
    if (reason) off.push(`wasm ${replacement.name} off: ${reason}`);
  }
  const matmul = tf.getKernel("BatchMatMul", "wasm")?.kernelFunc;
  return { simdMatmul: matmul !== undefined && ours.has(matmul), off };
}

/** Registers `replacement`'s kernels, or leaves them out and says why. */
function tryReplacement(tf: TF, replacement: Replacement, stock: Stock, backend: unknown): string | undefined {
  const unavailable = attempt("", () => missingMember(backend, replacement.needs) ?? replacement.probe?.(tf, backend as WasmBackend));
  if (unavailable) return unavailable;
  let kernels: Record<string, tfc.KernelFunc>;
  try {
    kernels = replacement.build(tf, stock, backend as WasmBackend);
  } catch (error) {
    return messageOf(error);
  }
  const failed = attempt("self-check: ", () => replacement.check(tf, (name, inputs, attrs = {}) =>
    kernels[name]({ inputs, attrs, backend: backend as tfc.KernelBackend }) as tfc.TensorInfo | tfc.TensorInfo[]));
  if (failed) return failed;
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    ours.add(kernelFunc);
    const setupFunc = stockKernels.get(kernelName)?.setupFunc;
    if (tf.getKernel(kernelName, "wasm")) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc, setupFunc });
  }
  return undefined;
}

/** `step`'s reason, or what it threw, after `prefix`; undefined when it passed. */
function attempt(prefix: string, step: () => string | undefined): string | undefined {
  try {
    const reason = step();
    return reason ? prefix + reason : undefined;
  } catch (error) {
    return `${prefix}${prefix ? "threw " : ""}${messageOf(error)}`;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every replaced kernel back to tfjs' own (or none, where tfjs has none). */
function restoreStock(tf: TF): void {
  for (const name of REPLACEMENTS.flatMap((replacement) => replacement.replaces)) {
    const current = tf.getKernel(name, "wasm");
    if (current && !ours.has(current.kernelFunc)) stockKernels.set(name, current);
    if (current && ours.has(current.kernelFunc)) {
      tf.unregisterKernel(name, "wasm");
      const stock = stockKernels.get(name);
      if (stock) tf.registerKernel(stock);
    }
  }
}
