// Replacement and missing kernels for tfjs' `wasm` backend, registered when it
// starts (backend.ts). Both work on views of the wasm heap, in plain JS:
// - Slice, Unpack, SplitV: the stock kernels copy the whole input (readSync) for
//   every slice, so unstacking MoT's w1 [E, d, f] costs E full copies (the
//   paper model: 512 × 32 MB); these copy only the slices.
// - UnsortedSegmentSum: missing on wasm, and the gradient of `gather` (the
//   embedding lookup) needs it.
import type * as tfc from "@tensorflow/tfjs-core";
import type { TF } from "./ops.js";

type Values = Float32Array | Int32Array | Uint8Array;

/** The part of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tfc.DataType): tfc.TensorInfo;
  typedArrayFromHeap(info: tfc.TensorInfo): Values;
}

export function registerWasmKernels(tf: TF): void {
  const kernels: tfc.KernelConfig[] = [
    { kernelName: "Slice", backendName: "wasm", kernelFunc: (args) => slice(tf, args) },
    { kernelName: "Unpack", backendName: "wasm", kernelFunc: (args) => unpack(tf, args) },
    { kernelName: "SplitV", backendName: "wasm", kernelFunc: (args) => splitV(tf, args) },
    { kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: unsortedSegmentSum },
  ];
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
