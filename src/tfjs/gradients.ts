// Gradients of the tfjs kernels the training graph differentiates through.
// `@tensorflow/tfjs-core` registers no gradients by itself (the `@tensorflow/tfjs`
// union package does, through ESM files Node cannot load), so motc registers the
// few it needs, each the textbook derivative; test/tfjs checks all of them
// against finite differences. A gradient already registered (say, by the union
// package) is left alone.
import type * as tfc from "@tensorflow/tfjs-core";
import { sumRows, type TF, type Tensor } from "./ops.js";

type NamedAttrs = tfc.NamedAttrMap;
type GradFunc = (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrs) => Record<string, () => Tensor> | Array<() => Tensor>;
interface Gradient {
  kernelName: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  saveAllInputs?: boolean;
  gradFunc: GradFunc;
}

export function registerGradients(tf: TF): void {
  for (const gradient of gradients(tf)) {
    if (!tf.getGradient(gradient.kernelName)) tf.registerGradient(gradient as tfc.GradConfig);
  }
}

/** Swaps the last two axes (a matrix transpose, batched). */
function swapLast(tf: TF, x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

function gradients(tf: TF): Gradient[] {
  /**
   * Sums `dy` over the axes along which `shape` was broadcast, then gives it
   * `shape`. The common case, a bias or scale broadcast over leading rows, is
   * ops.sumRows: wasm's Sum over a leading axis transposes first and is slow.
   */
  const unbroadcast = (dy: Tensor, shape: number[]): Tensor => {
    const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
    if (axes.length === 0) return tf.reshape(dy, shape);
    // getReductionAxes aligns shapes from the right, so [d] against [N, d] reduces axis 0.
    if (axes.every((axis, i) => axis === i) && axes.length < dy.rank) {
      const rows = axes.reduce((n, axis) => n * dy.shape[axis], 1);
      return tf.reshape(sumRows(tf, tf.reshape(dy, [rows, dy.size / rows])), shape);
    }
    return tf.reshape(tf.sum(dy, axes), shape);
  };
  const one = (dy: Tensor | Tensor[]): Tensor => dy as Tensor;
  const attr = <T>(attrs: NamedAttrs, name: string): T => attrs[name] as unknown as T;

  return [
    {
      kernelName: "Add",
      inputsToSave: ["a", "b"],
      gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a.shape), b: () => unbroadcast(one(dy), b.shape) }),
    },
    {
      kernelName: "Sub",
      inputsToSave: ["a", "b"],
      gradFunc: (dy, [a, b]) => ({ a: () => unbroadcast(one(dy), a.shape), b: () => unbroadcast(tf.neg(one(dy)), b.shape) }),
    },
    {
      kernelName: "Multiply",
      inputsToSave: ["a", "b"],
      gradFunc: (dy, [a, b]) => ({
        a: () => unbroadcast(tf.mul(one(dy), tf.cast(b, "float32")), a.shape),
        b: () => unbroadcast(tf.mul(one(dy), tf.cast(a, "float32")), b.shape),
      }),
    },
    {
      kernelName: "RealDiv",
      inputsToSave: ["a", "b"],
      gradFunc: (dy, [a, b]) => ({
        a: () => unbroadcast(tf.div(one(dy), b), a.shape),
        b: () => unbroadcast(tf.neg(tf.div(tf.mul(one(dy), a), tf.square(b))), b.shape),
      }),
    },
    { kernelName: "Neg", gradFunc: (dy) => ({ x: () => tf.neg(one(dy)) }) },
    { kernelName: "Square", inputsToSave: ["x"], gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.mul(x, 2)) }) },
    // d/dx x^(-1/2) = -y³/2 with y the output.
    { kernelName: "Rsqrt", outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), tf.mul(tf.pow(y, 3), -0.5)) }) },
    { kernelName: "Exp", outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(one(dy), y) }) },
    { kernelName: "Relu", inputsToSave: ["x"], gradFunc: (dy, [x]) => ({ x: () => tf.mul(one(dy), tf.step(x)) }) },
    { kernelName: "Cast", gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }) },
    { kernelName: "Identity", gradFunc: (dy) => ({ x: () => tf.clone(one(dy)) }) },
    { kernelName: "Reshape", inputsToSave: ["x"], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(one(dy), x.shape) }) },
    {
      kernelName: "Transpose",
      gradFunc: (dy, _saved, attrs) => ({
        x: () => tf.transpose(one(dy), tf.backend_util.getUndoAxesPermutation(attr<number[]>(attrs, "perm"))),
      }),
    },
    {
      // Softmax over `dim`: dx = y ⊙ (dy − Σ dy ⊙ y).
      kernelName: "Softmax",
      outputsToSave: [true],
      gradFunc: (dy, [y], attrs) => {
        const dim = attr<number[]>(attrs, "dim");
        const product = tf.mul(one(dy), y);
        return { logits: () => tf.sub(product, tf.mul(tf.sum(product, dim, true), y)) };
      },
    },
    {
      kernelName: "Mean",
      inputsToSave: ["x"],
      gradFunc: (dy, [x], attrs) => {
        const axes = tf.util.parseAxisParam(attr<number | number[]>(attrs, "axis"), x.shape);
        const kept = x.shape.map((size, i) => (axes.includes(i) ? 1 : size));
        const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
        return { x: () => tf.mul(tf.reshape(one(dy), kept), tf.fill(x.shape, 1 / count)) };
      },
    },
    {
      kernelName: "Sum",
      inputsToSave: ["x"],
      gradFunc: (dy, [x], attrs) => {
        const axes = tf.util.parseAxisParam(attr<number | number[]>(attrs, "axis"), x.shape);
        const kept = x.shape.map((size, i) => (axes.includes(i) ? 1 : size));
        return { x: () => tf.mul(tf.reshape(one(dy), kept), tf.ones(x.shape)) };
      },
    },
    {
      // With C = op(A)·op(B): every product below is a plain matmul of explicitly
      // transposed operands, since wasm's transposed matmuls run 2–3× slower.
      kernelName: "BatchMatMul",
      inputsToSave: ["a", "b"],
      gradFunc: (dy, [a, b], attrs) => {
        const g = one(dy);
        const t = (x: Tensor) => swapLast(tf, x);
        const transposeA = attr<boolean>(attrs, "transposeA");
        const transposeB = attr<boolean>(attrs, "transposeB");
        const opB = transposeB ? b : t(b); // op(B)ᵀ
        const opA = transposeA ? a : t(a); // op(A)ᵀ
        // dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC; a transposed operand gets its gradient transposed.
        return {
          a: () => (transposeA ? t(tf.matMul(t(g), t(opB))) : tf.matMul(g, opB)),
          b: () => (transposeB ? t(tf.matMul(t(g), opA)) : tf.matMul(opA, g)),
        };
      },
    },
    {
      kernelName: "Slice",
      inputsToSave: ["x"],
      gradFunc: (dy, [x], attrs) => {
        const [begin, size] = tf.slice_util.parseSliceParams(x, attr<number[]>(attrs, "begin"), attr<number[]>(attrs, "size"));
        const paddings = x.shape.map((dim, i): [number, number] => [begin[i], dim - begin[i] - size[i]]);
        return { x: () => tf.pad(one(dy), paddings) };
      },
    },
    {
      kernelName: "Concat",
      saveAllInputs: true,
      gradFunc: (dy, saved, attrs) => {
        const axis = tf.util.parseAxisParam(attr<number>(attrs, "axis"), saved[0].shape)[0];
        return tf.split(one(dy), saved.map((t) => t.shape[axis]), axis).map((part) => () => part);
      },
    },
    {
      kernelName: "Pack",
      saveAllInputs: true,
      gradFunc: (dy, _saved, attrs) => tf.unstack(one(dy), attr<number>(attrs, "axis")).map((part) => () => part),
    },
    {
      // Outputs nobody used come back as null: they contribute zeros.
      kernelName: "Unpack",
      inputsToSave: ["value"],
      gradFunc: (dy, [value], attrs) => {
        const axis = attr<number>(attrs, "axis");
        const partShape = value.shape.filter((_, i) => i !== axis);
        const parts = (dy as Array<Tensor | null>).map((part) => part ?? tf.zeros(partShape));
        return { value: () => tf.stack(parts, axis) };
      },
    },
    {
      // Embedding rows: the gradient of E[ids] adds each row of dy into row ids[n].
      kernelName: "GatherV2",
      inputsToSave: ["x", "indices"],
      gradFunc: (dy, [x, indices], attrs) => {
        if (attr<number>(attrs, "axis") !== 0 || indices.rank !== 1) throw new Error("internal: motc differentiates gather only along axis 0 with 1-D indices");
        return {
          x: () => tf.unsortedSegmentSum(one(dy), indices as tfc.Tensor1D, x.shape[0]),
          indices: () => tf.zeros(indices.shape),
        };
      },
    },
  ];
}
