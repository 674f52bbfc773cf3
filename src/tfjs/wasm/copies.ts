// Kernels that move data on tfjs' wasm backend, in plain JS on views of its heap:
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
//   writes with long strides (MoT's [16, 256, 64] → [16, 64, 256]: ~1.3 ms CPU;
//   a [1024, 64] weight gradient: ~2 ms); the same copy done as
//   [.., R/64, 64, C] → [.., C, R/64, 64] runs 5–10× faster. The lowerings call
//   plain tf.transpose and get this on wasm. (The stock kernel also divides by
//   zero on an empty tensor; this one returns it.)
import type * as tfc from "@tensorflow/tfjs-core";
import type { TF } from "../ops.js";
import type { WasmBackend } from "./internals.js";

type KernelArgs = Parameters<tfc.KernelFunc>[0];

const heapOf = (args: KernelArgs) => args.backend as unknown as WasmBackend;

export function slice(tf: TF): tfc.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tfc.TensorInfo;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tfc.Tensor, args.attrs!.begin as number[], args.attrs!.size as number[]);
    return copySlice(tf, heapOf(args), x, begin, size);
  };
}

/** Unstack along `axis`: one slice per index, the axis dropped from each. */
export function unpack(tf: TF): tfc.KernelFunc {
  return (args) => {
    const value = args.inputs.value as tfc.TensorInfo;
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, value.shape)[0];
    const size = value.shape.slice();
    size[axis] = 1;
    const outShape = value.shape.filter((_, i) => i !== axis);
    return Array.from({ length: value.shape[axis] }, (_, index) => {
      const begin = value.shape.map((_, i) => (i === axis ? index : 0));
      return { ...copySlice(tf, heapOf(args), value, begin, size), shape: outShape };
    });
  };
}

export function splitV(tf: TF): tfc.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tfc.TensorInfo;
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
    const splits = tf.backend_util.prepareSplitSize(x as tfc.Tensor, args.attrs!.numOrSizeSplits as number[] | number, axis);
    let start = 0;
    return splits.map((length) => {
      const begin = x.shape.map((_, i) => (i === axis ? start : 0));
      const size = x.shape.slice();
      size[axis] = length;
      start += length;
      return copySlice(tf, heapOf(args), x, begin, size);
    });
  };
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

export function unsortedSegmentSum(args: KernelArgs): tfc.TensorInfo {
  const wasm = heapOf(args);
  const x = args.inputs.x as tfc.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tfc.TensorInfo;
  const segments = args.attrs!.numSegments as number;
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

/** Gather of whole float32 rows (axis 0, no batch dims) as row copies; anything else goes to the stock kernel. */
export function gatherRows(tf: TF, stock: tfc.KernelFunc): tfc.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tfc.TensorInfo;
    const indices = args.inputs.indices as tfc.TensorInfo;
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    if (axis !== 0 || (batchDims ?? 0) !== 0 || x.dtype !== "float32" || x.shape.length < 1) return stock(args);
    const wasm = heapOf(args);
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

/** Identity as a second reference to the same data; strings (not on the heap) go to the stock kernel. */
export function sharedIdentity(stock: tfc.KernelFunc): tfc.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tfc.TensorInfo;
    if (x.dtype === "string") return stock(args);
    heapOf(args).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Row count of the blocks a last-two-axes transpose is cut into. */
export const TRANSPOSE_BLOCK = 64;

/**
 * Swapping the last two axes of [..., R, C] with R a multiple of 64 (and more
 * than 64) is run by the stock kernel as [..., R/64, 64, C] → [..., C, R/64, 64]:
 * the same bytes, read in 64-row blocks that stay in cache. Every other
 * permutation of a non-empty tensor goes to it as is.
 */
export function blockedTranspose(stock: tfc.KernelFunc): tfc.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tfc.TensorInfo;
    const perm = args.attrs!.perm as number[];
    if (x.shape.includes(0)) return heapOf(args).makeOutput(perm.map((axis) => x.shape[axis]), x.dtype);
    const rank = x.shape.length;
    const swapsLastTwo = rank >= 2 && perm.every((axis, i) => (i < rank - 2 ? axis === i : axis === (i === rank - 2 ? rank - 1 : rank - 2)));
    const rows = x.shape[rank - 2];
    if (!swapsLastTwo || rows <= TRANSPOSE_BLOCK || rows % TRANSPOSE_BLOCK !== 0) return stock(args);
    const lead = x.shape.slice(0, -2);
    const blocked = { ...x, shape: [...lead, rows / TRANSPOSE_BLOCK, TRANSPOSE_BLOCK, x.shape[rank - 1]] };
    const leadAxes = lead.map((_, i) => i);
    const out = stock({ ...args, inputs: { x: blocked }, attrs: { perm: [...leadAxes, rank, rank - 2, rank - 1] } }) as tfc.TensorInfo;
    return { ...out, shape: [...lead, x.shape[rank - 1], rows] };
  };
}
