// Replacement and missing kernels for tfjs' `wasm` backend, registered when it
// starts (backend.ts). Both work on views of the wasm heap, in plain JS:
// - Slice, Unpack, SplitV: the stock kernels copy the whole input (readSync) for
//   every slice, so unstacking MoT's w1 [E, d, f] costs E full copies (the
//   paper model: 512 × 32 MB); these copy only the slices.
// - UnsortedSegmentSum: missing on wasm, and the gradient of `gather` (the
//   embedding lookup) needs it.
// - GatherV2 along axis 0 (the embedding lookup): the stock kernel takes ~2 ms
//   for 1024 rows of 64; copying the rows takes ~0.05 ms.
// - Identity: the stock kernel copies; tfjs runs it for every tensor a gradient
//   saves (~80 per tiny.mot step, MoT's [16, 256, 64] activations among them).
//   Tensors are immutable, so the copy shares the data, as Reshape and the cpu
//   backend's Identity do.
// - Transpose: the stock kernel swapping the last two axes of a tall matrix
//   writes with long strides (MoT's [16, 256, 64] → [16, 64, 256]: ~1.3 ms CPU);
//   the same copy done as [.., R/64, 64, C] → [.., C, R/64, 64] runs ~5× faster.
// - BatchMatMul: wasm sends every batched product to a scalar loop (~1 GFLOP/s);
//   only a single non-transposed 2-D product reaches XNNPACK (~30 GFLOP/s here).
//   This kernel runs every product whose columns are a multiple of 4 and whose B
//   is not transposed in one call of motc's SIMD kernel (simd.ts) on the heap,
//   reading a transposed A in place: 40–55 GFLOP/s, as fast for attention's
//   64×16 items and MoT's 4×16 ones as for one big product. Other batched
//   products go to XNNPACK one item at a time, on tensor ids that alias the
//   items' slices of the heap (no copies), or as one 2-D call when B is shared
//   by the whole batch.
import type * as tfc from "@tensorflow/tfjs-core";
import type { TF } from "./ops.js";
import { batchedMatMulFor } from "./simd.js";

type Values = Float32Array | Int32Array | Uint8Array;

/** The part of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tfc.DataType): tfc.TensorInfo;
  disposeData(dataId: tfc.DataId): boolean;
  typedArrayFromHeap(info: tfc.TensorInfo): Values;
  dataIdMap: { get(dataId: tfc.DataId): { id: number; memoryOffset: number } };
  dataIdNextNumber: number;
  wasm: {
    /** The instance's exports; `memory` is the heap every tensor lives in. */
    asm?: { memory?: WebAssembly.Memory };
    cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

export function registerWasmKernels(tf: TF): void {
  const stockMatMul = tf.getKernel("BatchMatMul", "wasm");
  const stockTranspose = tf.getKernel("Transpose", "wasm");
  const stockGather = tf.getKernel("GatherV2", "wasm");
  const kernels: tfc.KernelConfig[] = [
    { kernelName: "Slice", backendName: "wasm", kernelFunc: (args) => slice(tf, args) },
    { kernelName: "Unpack", backendName: "wasm", kernelFunc: (args) => unpack(tf, args) },
    { kernelName: "SplitV", backendName: "wasm", kernelFunc: (args) => splitV(tf, args) },
    { kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: unsortedSegmentSum },
    { kernelName: "Identity", backendName: "wasm", kernelFunc: sharedIdentity },
  ];
  if (stockMatMul && !(stockMatMul.kernelFunc as { motc?: boolean }).motc) {
    const kernelFunc = batchMatMul(tf, stockMatMul);
    (kernelFunc as { motc?: boolean }).motc = true;
    kernels.push({ kernelName: "BatchMatMul", backendName: "wasm", kernelFunc, setupFunc: stockMatMul.setupFunc });
  }
  if (stockTranspose && !(stockTranspose.kernelFunc as { motc?: boolean }).motc) {
    const kernelFunc = blockedTranspose(stockTranspose);
    (kernelFunc as { motc?: boolean }).motc = true;
    kernels.push({ kernelName: "Transpose", backendName: "wasm", kernelFunc, setupFunc: stockTranspose.setupFunc });
  }
  if (stockGather && !(stockGather.kernelFunc as { motc?: boolean }).motc) {
    const kernelFunc = gatherRows(tf, stockGather);
    (kernelFunc as { motc?: boolean }).motc = true;
    kernels.push({ kernelName: "GatherV2", backendName: "wasm", kernelFunc, setupFunc: stockGather.setupFunc });
  }
  for (const kernel of kernels) {
    if (tf.getKernel(kernel.kernelName, "wasm")) tf.unregisterKernel(kernel.kernelName, "wasm");
    tf.registerKernel(kernel);
  }
}

type KernelArgs = Parameters<tfc.KernelFunc>[0];

function slice(tf: TF, { inputs, attrs, backend }: KernelArgs): tfc.TensorInfo {
  const x = inputs.x as tfc.TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tfc.Tensor, attrs!.begin as number[], attrs!.size as number[]);
  return copySlice(tf, backend as unknown as WasmBackend, x, begin, size);
}

/** Unstack along `axis`: one slice per index, the axis dropped from each. */
function unpack(tf: TF, { inputs, attrs, backend }: KernelArgs): tfc.TensorInfo[] {
  const value = inputs.value as tfc.TensorInfo;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, value.shape)[0];
  const size = value.shape.slice();
  size[axis] = 1;
  const outShape = value.shape.filter((_, i) => i !== axis);
  return Array.from({ length: value.shape[axis] }, (_, index) => {
    const begin = value.shape.map((_, i) => (i === axis ? index : 0));
    return { ...copySlice(tf, backend as unknown as WasmBackend, value, begin, size), shape: outShape };
  });
}

function splitV(tf: TF, { inputs, attrs, backend }: KernelArgs): tfc.TensorInfo[] {
  const x = inputs.x as tfc.TensorInfo;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0];
  const splits = tf.backend_util.prepareSplitSize(x as tfc.Tensor, attrs!.numOrSizeSplits as number[] | number, axis);
  let start = 0;
  return splits.map((length) => {
    const begin = x.shape.map((_, i) => (i === axis ? start : 0));
    const size = x.shape.slice();
    size[axis] = length;
    start += length;
    return copySlice(tf, backend as unknown as WasmBackend, x, begin, size);
  });
}

function copySlice(tf: TF, wasm: WasmBackend, x: tfc.TensorInfo, begin: number[], size: number[]): tfc.TensorInfo {
  if (x.dtype === "string") throw new Error("motc's wasm slicing kernels do not take strings");
  const out = wasm.makeOutput(size, x.dtype);
  // Views only after makeOutput: growing the heap detaches earlier views.
  const source = wasm.typedArrayFromHeap(x);
  const target = wasm.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  // Copy contiguous runs of the innermost dimension; recurse over the outer ones.
  const rank = x.shape.length;
  if (rank === 0) {
    target.set(source);
    return out;
  }
  let written = 0;
  const copy = (dim: number, offset: number): void => {
    if (dim === rank - 1) {
      const start = offset + begin[dim];
      target.set(source.subarray(start, start + size[dim]), written);
      written += size[dim];
      return;
    }
    for (let i = 0; i < size[dim]; i++) copy(dim + 1, offset + (begin[dim] + i) * strides[dim]);
  };
  copy(0, 0);
  return out;
}

/** Items smaller than this many multiply-adds stay in the stock loop (XNNPACK's per-call setup). */
const MIN_ITEM_WORK = 8192;

function batchMatMul(tf: TF, stock: tfc.KernelConfig): tfc.KernelFunc {
  let wasmMatMul: ((...args: unknown[]) => void) | undefined;
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
    if (!floats || transposeB || (!sameBatch && batchB !== 1)) return stock.kernelFunc(args) as tfc.TensorInfo;
    const outShape = [...a.shape.slice(0, -2), rows, cols];
    const base = (info: tfc.TensorInfo) => wasm.dataIdMap.get(info.dataId).memoryOffset;
    const memory = wasm.wasm.asm?.memory;
    const simd = memory && cols % 4 === 0 && inner > 0 ? batchedMatMulFor(memory) : undefined;
    if (simd) {
      // Aᵀ is read in place: its rows are 4 bytes apart, its inner steps a row of the stored A.
      const [aRowStep, aInnerStep] = transposeA ? [4, 4 * rows] : [4 * inner, 4];
      const out = wasm.makeOutput(outShape, "float32");
      simd(base(a), base(b), base(out), batchA, rows, inner, cols, 4 * rows * inner, batchB === 1 ? 0 : 4 * inner * cols, 4 * rows * cols, aRowStep, aInnerStep);
      return out;
    }
    if (transposeA) {
      // Columns the SIMD kernel cannot take (an untied head's vocabulary): transpose A
      // explicitly rather than leave the product to the stock scalar loop.
      const perm = [...a.shape.slice(0, -2).map((_, i) => i), rank - 1, rank - 2];
      const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc;
      const aT = transpose({ inputs: { x: a }, backend: args.backend, attrs: { perm } }) as tfc.TensorInfo;
      try {
        return kernel({ ...args, inputs: { a: aT, b }, attrs: { ...args.attrs, transposeA: false } });
      } finally {
        wasm.disposeData(aT.dataId);
      }
    }
    if (batchA === 1 || rows * inner * cols < MIN_ITEM_WORK) return stock.kernelFunc(args) as tfc.TensorInfo;

    wasmMatMul ??= wasm.wasm.cwrap("BatchMatMul", null, ["number", "array", "number", "number", "array", "number", "number", "number", "number"]);
    const out = wasm.makeOutput(outShape, "float32");
    const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);
    const aliases: number[] = [];
    const alias = (offset: number, size: number): number => {
      const id = wasm.dataIdNextNumber++;
      wasm.wasm.tfjs.registerTensor(id, size, offset);
      aliases.push(id);
      return id;
    };
    try {
      if (batchB === 1) {
        // B shared by every item: the whole batch is one [batch·rows, inner] @ [inner, cols] product.
        wasmMatMul(alias(base(a), batchA * rows * inner), shapeBytes([1, batchA * rows, inner]), 3,
          alias(base(b), inner * cols), shapeBytes([1, inner, cols]), 3, false, false, alias(base(out), batchA * rows * cols));
      } else {
        const bShape = shapeBytes([1, inner, cols]);
        const aShape = shapeBytes([1, rows, inner]);
        for (let item = 0; item < batchA; item++) {
          wasmMatMul(alias(base(a) + 4 * item * rows * inner, rows * inner), aShape, 3,
            alias(base(b) + 4 * item * inner * cols, inner * cols), bShape, 3, false, false,
            alias(base(out) + 4 * item * rows * cols, rows * cols));
        }
      }
    } finally {
      // Forget the aliases on the C++ side only (it drops their cached XNNPACK
      // operators); the memory belongs to a, b and out.
      for (const id of aliases) wasm.wasm.tfjs.disposeData(id);
    }
    return out;
  };
  return kernel;
}

function sharedIdentity({ inputs, backend }: KernelArgs): tfc.TensorInfo {
  const x = inputs.x as tfc.TensorInfo;
  if (x.dtype === "string") throw new Error("motc's wasm Identity kernel does not take strings");
  (backend as unknown as { incRef(dataId: tfc.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function unsortedSegmentSum({ inputs, attrs, backend }: KernelArgs): tfc.TensorInfo {
  const wasm = backend as unknown as WasmBackend;
  const x = inputs.x as tfc.TensorInfo;
  const segmentIds = inputs.segmentIds as tfc.TensorInfo;
  const segments = attrs!.numSegments as number;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const width = rowShape.reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([segments, ...rowShape], "float32");
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  const sums = wasm.typedArrayFromHeap(out);
  sums.fill(0);
  for (let row = 0; row < rows; row++) {
    const segment = ids[row];
    if (segment < 0 || segment >= segments) continue; // TensorFlow drops out-of-range ids
    const from = row * width;
    const to = segment * width;
    for (let j = 0; j < width; j++) sums[to + j] += values[from + j];
  }
  return out;
}

/** Row count of the blocks a last-two-axes transpose is cut into. */
const TRANSPOSE_BLOCK = 64;

/**
 * Swapping the last two axes of [..., R, C] with R a multiple of 64 is run by the
 * stock kernel as [..., R/64, 64, C] → [..., C, R/64, 64] (the same bytes, read
 * in 64-row blocks that stay in cache); every other permutation goes to it as is.
 */
function blockedTranspose(stock: tfc.KernelConfig): tfc.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tfc.TensorInfo;
    const perm = args.attrs!.perm as number[];
    const rank = x.shape.length;
    const swapsLastTwo = rank >= 2 && perm.every((axis, i) => (i < rank - 2 ? axis === i : axis === (i === rank - 2 ? rank - 1 : rank - 2)));
    const rows = x.shape[rank - 2];
    if (!swapsLastTwo || rows <= TRANSPOSE_BLOCK || rows % TRANSPOSE_BLOCK !== 0) return stock.kernelFunc(args) as tfc.TensorInfo;
    const lead = x.shape.slice(0, -2);
    const blocked = { ...x, shape: [...lead, rows / TRANSPOSE_BLOCK, TRANSPOSE_BLOCK, x.shape[rank - 1]] };
    const leadAxes = lead.map((_, i) => i);
    const out = stock.kernelFunc({ ...args, inputs: { x: blocked }, attrs: { perm: [...leadAxes, rank, rank - 2, rank - 1] } }) as tfc.TensorInfo;
    return { ...out, shape: [...lead, x.shape[rank - 1], rows] };
  };
}

/** Gather of whole rows (axis 0, no batch dims) as row copies; anything else goes to the stock kernel. */
function gatherRows(tf: TF, stock: tfc.KernelConfig): tfc.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tfc.TensorInfo;
    const indices = args.inputs.indices as tfc.TensorInfo;
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    if (axis !== 0 || (batchDims ?? 0) !== 0 || x.dtype !== "float32" || x.shape.length < 1) return stock.kernelFunc(args) as tfc.TensorInfo;
    const wasm = args.backend as unknown as WasmBackend;
    const rowCount = x.shape[0];
    const width = tf.util.sizeFromShape(x.shape.slice(1));
    const count = tf.util.sizeFromShape(indices.shape);
    const out = wasm.makeOutput([...indices.shape, ...x.shape.slice(1)], "float32");
    // Views only after makeOutput: growing the heap detaches earlier views.
    const source = wasm.typedArrayFromHeap(x);
    const ids = wasm.typedArrayFromHeap(indices);
    const target = wasm.typedArrayFromHeap(out);
    for (let n = 0; n < count; n++) {
      const row = ids[n];
      if (row < 0 || row >= rowCount) throw new Error(`gather: index ${row} is not in [0, ${rowCount})`);
      target.set(source.subarray(row * width, (row + 1) * width), n * width);
    }
    return out;
  };
}
