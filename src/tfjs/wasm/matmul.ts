// BatchMatMul on tfjs' wasm backend. The stock kernel sends every batched product
// to a scalar loop (~1 GFLOP/s); only a single non-transposed 2-D product reaches
// XNNPACK (~30 GFLOP/s here). This kernel runs every product whose columns are a
// multiple of 4 and whose B is not transposed in one call of motc's SIMD kernel
// (simd.ts) on the heap, reading a transposed A in place: 40–55 GFLOP/s, as fast
// for attention's 64×16 items and MoT's 4×16 ones as for one big product. Other
// batched products go to XNNPACK one item at a time, on tensor ids that alias the
// items' slices of the heap (no copies), or as one 2-D call when B is shared by
// the whole batch.
import type * as tfc from "@tensorflow/tfjs-core";
import { offsetOf, type WasmBackend } from "./internals.js";
import type { BatchedMatMul } from "./simd.js";

type KernelArgs = Parameters<tfc.KernelFunc>[0];

/**
 * How many products each path has run in this process: the SIMD kernel, XNNPACK
 * on aliased items, the stock kernel. A test holds the training step to the SIMD
 * path with these, so it cannot fall back unnoticed.
 */
export const matmulRuns = { simd: 0, xnnpack: 0, stock: 0 };

/** Items smaller than this many multiply-adds stay in the stock loop (XNNPACK's per-call setup). */
const MIN_ITEM_WORK = 8192;

/** The replacement kernel, given the stock one and the SIMD kernel bound to the backend's heap. */
export function batchMatMul(stock: tfc.KernelFunc, simd: BatchedMatMul, transpose: () => tfc.KernelFunc): tfc.KernelFunc {
  let xnnpack: ((...args: unknown[]) => void) | undefined;
  const kernel = (args: KernelArgs): tfc.TensorInfo => {
    const wasm = args.backend as unknown as WasmBackend;
    const a = args.inputs.a as tfc.TensorInfo;
    const b = args.inputs.b as tfc.TensorInfo;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const rank = a.shape.length;
    const rows = a.shape[transposeA ? rank - 1 : rank - 2];
    const inner = a.shape[transposeA ? rank - 2 : rank - 1];
    const cols = b.shape[b.shape.length - 1];
    const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const floats = a.dtype === "float32" && b.dtype === "float32";
    const sameBatch = batchA === batchB && a.shape.length === b.shape.length && a.shape.slice(0, -2).every((n, i) => n === b.shape[i]);
    const runStock = () => {
      matmulRuns.stock++;
      return stock(args) as tfc.TensorInfo;
    };
    if (!floats || transposeB || (!sameBatch && batchB !== 1)) return runStock();
    const outShape = [...a.shape.slice(0, -2), rows, cols];
    if (cols % 4 === 0 && inner > 0) {
      // Aᵀ is read in place: its rows are 4 bytes apart, its inner steps a row of the stored A.
      const [aRowStep, aInnerStep] = transposeA ? [4, 4 * rows] : [4 * inner, 4];
      const out = wasm.makeOutput(outShape, "float32");
      simd(offsetOf(wasm, a), offsetOf(wasm, b), offsetOf(wasm, out), batchA, rows, inner, cols,
        4 * rows * inner, batchB === 1 ? 0 : 4 * inner * cols, 4 * rows * cols, aRowStep, aInnerStep);
      matmulRuns.simd++;
      return out;
    }
    if (transposeA) {
      // Columns the SIMD kernel cannot take (an untied head's vocabulary): transpose A
      // explicitly rather than leave the product to the stock scalar loop.
      const perm = [...a.shape.slice(0, -2).map((_, i) => i), rank - 1, rank - 2];
      const aT = transpose()({ inputs: { x: a }, backend: args.backend, attrs: { perm } }) as tfc.TensorInfo;
      try {
        return kernel({ ...args, inputs: { a: aT, b }, attrs: { ...args.attrs, transposeA: false } });
      } finally {
        wasm.disposeData(aT.dataId);
      }
    }
    if (batchA === 1 || rows * inner * cols < MIN_ITEM_WORK) return runStock();
    xnnpack ??= wasm.wasm.cwrap("BatchMatMul", null, ["number", "array", "number", "number", "array", "number", "number", "number", "number"]);
    const out = wasm.makeOutput(outShape, "float32");
    onXnnpack(wasm, xnnpack, a, b, out, batchA, batchB, rows, inner, cols);
    matmulRuns.xnnpack++;
    return out;
  };
  return kernel;
}

/** Runs the product item by item (or as one 2-D call when B is shared) through XNNPACK on aliased ids. */
function onXnnpack(wasm: WasmBackend, xnnpack: (...args: unknown[]) => void, a: tfc.TensorInfo, b: tfc.TensorInfo, out: tfc.TensorInfo,
  batchA: number, batchB: number, rows: number, inner: number, cols: number): void {
  const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);
  const aliases: number[] = [];
  const alias = (offset: number, size: number): number => {
    const id = wasm.dataIdNextNumber++;
    wasm.wasm.tfjs.registerTensor(id, size, offset);
    aliases.push(id);
    return id;
  };
  const [aAt, bAt, outAt] = [offsetOf(wasm, a), offsetOf(wasm, b), offsetOf(wasm, out)];
  try {
    if (batchB === 1) {
      // B shared by every item: the whole batch is one [batch·rows, inner] @ [inner, cols] product.
      xnnpack(alias(aAt, batchA * rows * inner), shapeBytes([1, batchA * rows, inner]), 3,
        alias(bAt, inner * cols), shapeBytes([1, inner, cols]), 3, false, false, alias(outAt, batchA * rows * cols));
      return;
    }
    const bShape = shapeBytes([1, inner, cols]);
    const aShape = shapeBytes([1, rows, inner]);
    for (let item = 0; item < batchA; item++) {
      xnnpack(alias(aAt + 4 * item * rows * inner, rows * inner), aShape, 3,
        alias(bAt + 4 * item * inner * cols, inner * cols), bShape, 3, false, false,
        alias(outAt + 4 * item * rows * cols, rows * cols));
    }
  } finally {
    // Forget the aliases on the C++ side only (it drops their cached XNNPACK
    // operators); the memory belongs to a, b and out.
    for (const id of aliases) wasm.wasm.tfjs.disposeData(id);
  }
}
