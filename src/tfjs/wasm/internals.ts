// The parts of tfjs-backend-wasm's BackendWasm that motc's kernels use. They are
// not its public API (package.json pins the version they were written against),
// so each is probed before a kernel that needs it registers: a member that is
// missing, or a heap that is not the module's memory, keeps the stock kernel.
import type * as tfc from "@tensorflow/tfjs-core";
import type { TF } from "../ops.js";

export type HeapValues = Float32Array | Int32Array | Uint8Array;

/** What the kernels read of a tensor's entry in `dataIdMap`. */
export interface TensorData {
  /** The C++ side's id of the tensor. */
  id: number;
  /** Byte offset of its first element in the heap. */
  memoryOffset: number;
}

export interface WasmBackend {
  makeOutput(shape: number[], dtype: tfc.DataType): tfc.TensorInfo;
  disposeData(dataId: tfc.DataId): boolean;
  incRef(dataId: tfc.DataId): void;
  typedArrayFromHeap(info: tfc.TensorInfo): HeapValues;
  dataIdMap: { get(dataId: tfc.DataId): TensorData | undefined };
  dataIdNextNumber: number;
  wasm: {
    HEAPU8: Uint8Array;
    /** The instance's exports; `memory` is the heap every tensor lives in. */
    asm: { memory: WebAssembly.Memory };
    cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

/** A member path of BackendWasm and what it must be. */
type Member = [path: string, kind: "function" | "number" | "Uint8Array" | "object"];

/** The heap views: new outputs and typed arrays over tensors' memory. */
export const HEAP: Member[] = [
  ["makeOutput", "function"], ["typedArrayFromHeap", "function"], ["disposeData", "function"],
  ["dataIdMap.get", "function"], ["wasm.HEAPU8", "Uint8Array"],
];
/** Sharing a tensor's data (Identity). */
export const REF_COUNTS: Member[] = [["incRef", "function"]];
/** Kernels that address the heap by offset: the SIMD module and XNNPACK on aliased tensor ids. */
export const ADDRESSES: Member[] = [
  ...HEAP, ["wasm.asm.memory", "object"], ["wasm.cwrap", "function"], ["dataIdNextNumber", "number"],
  ["wasm.tfjs.registerTensor", "function"], ["wasm.tfjs.disposeData", "function"],
];

/** Why `backend` lacks one of `members` ("BackendWasm.dataIdMap.get is missing"), or undefined when it has them all. */
export function missingMember(backend: unknown, members: Member[]): string | undefined {
  for (const [path, kind] of members) {
    let value: unknown = backend;
    for (const key of path.split(".")) value = value == null ? undefined : (value as Record<string, unknown>)[key];
    const ok = kind === "Uint8Array" ? value instanceof Uint8Array : typeof value === kind && value !== null;
    if (!ok) return `BackendWasm.${path} is ${value === undefined ? "missing" : `not a ${kind}`}`;
  }
  return undefined;
}

/**
 * Why tensors cannot be addressed in the module's memory, or undefined: a new
 * tensor's `dataIdMap` entry must give the offset where its values are, in the
 * memory the SIMD module imports. Checked before any kernel writes by offset.
 */
export function addressMismatch(tf: TF, backend: WasmBackend): string | undefined {
  const memory = backend.wasm.asm.memory;
  if (!(memory instanceof WebAssembly.Memory)) return "BackendWasm.wasm.asm.memory is not a WebAssembly.Memory";
  if (memory.buffer !== backend.wasm.HEAPU8.buffer) return "BackendWasm.wasm.asm.memory is not the heap tensors live in";
  const values = [1.5, -2.25, 3.125, 1e-3];
  const tensor = tf.tensor(values, [4], "float32");
  try {
    const offset = backend.dataIdMap.get(tensor.dataId)?.memoryOffset;
    if (typeof offset !== "number") return "BackendWasm.dataIdMap's entries have no memoryOffset";
    const stored = new Float32Array(memory.buffer, offset, values.length);
    if (!values.every((value, i) => Math.fround(value) === stored[i])) return "a tensor's memoryOffset does not point at its values";
    return undefined;
  } finally {
    tensor.dispose();
  }
}

/** Byte offset of a tensor in the heap. */
export function offsetOf(backend: WasmBackend, info: tfc.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
