// Building blocks shared by the per-layer lowerings. Each is shaped for the
// fastest path of tfjs' `wasm` backend, where motc's kernel (wasm/matmul.ts)
// runs every matmul, batched or not, whose B is not transposed (it reads a
// transposed A in place); a transposed B falls back to a scalar loop ~10× slower.
// So xᵀ dy is a matmul with transposeA, and dy wᵀ takes an explicit transpose
// (tf.transpose: motc's wasm Transpose kernel blocks a tall one, wasm/copies.ts).
import type * as tfc from "@tensorflow/tfjs-core";
import type { Activation } from "../ir/model.js";

export type TF = typeof tfc;
export type Tensor = tfc.Tensor;
export type Tensor2D = tfc.Tensor2D;
export type Variable = tfc.Variable;

/** Everything a layer lowering needs: tfjs, its weights by parameter name, the fast ops. */
export interface Lowering {
  tf: TF;
  ops: Ops;
  /** The variable named `name` in the parameter table (SEMANTICS.md). */
  param(name: string): Variable;
}

/** What a sublayer's training lowering gets besides its input: the batch's shape, whether it trains, where moe puts auxiliary losses. */
export interface SublayerCall {
  batch: number;
  length: number;
  /** Dropout and moe capacity limits apply only in training. */
  training: boolean;
  /** Loss terms a layer adds in training (moe's load balancing); the caller sums them into the loss. */
  auxLosses: Tensor[];
}

/**
 * The training lowering of one sublayer kind: `h [B·T, d]` (normed) → the branch's
 * output `[B·T, d]`. Each kind's file exports one as `lower`; layers.ts collects
 * them from the registry (src/ir/layers/index.ts).
 */
export type TfjsLowering<L> = (low: Lowering, layer: L, h: Tensor, call: SublayerCall) => Tensor;

export interface Ops {
  /** `x [N, in] @ w [in, out]`, forward and backward as plain 2-D matmuls. */
  matmul(x: Tensor, w: Tensor): Tensor2D;
  /** The activation of SEMANTICS.md: relu, or gelu in its exact erf form. */
  activation(kind: Activation, x: Tensor): Tensor;
  /** dy · act'(x), for sublayers that write their own backward. */
  activationGrad(kind: Activation, x: Tensor, dy: Tensor): Tensor;
  /** Mean next-token cross-entropy of `logits [N, vocab]` against `targets [N]` int32. */
  crossEntropy(logits: Tensor2D, targets: Tensor): tfc.Scalar;
}

export function createOps(tf: TF): Ops {
  const matmul = withGradient<Tensor2D>(tf, 2, ([x, w], save) => {
    save([x, w]);
    return {
      value: tf.matMul(x as Tensor2D, w as Tensor2D),
      gradFunc: (dy, saved) => {
        const [xs, ws] = saved as Tensor2D[];
        return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(xs, dy, true)];
      },
    };
  });

  // gelu(x) = x Φ(x), Φ(x) = (1 + erf(x/√2)) / 2; gelu'(x) = Φ(x) + x φ(x).
  const gelu = withGradient<Tensor>(tf, 1, ([x], save) => {
    save([x]);
    return {
      value: tf.mul(x, normalCdf(tf, x)),
      gradFunc: (dy, saved) => [geluGrad(tf, saved[0], dy)],
    };
  });

  // One fused gradient, softmax(logits) - onehot(target), instead of tfjs'
  // generic log-softmax chain; the picked logit is a one-hot product because
  // gather's gradient needs a kernel wasm lacks.
  // log Σ exp(x) comes from the softmax, which the gradient needs anyway:
  // at the row's largest logit p = 1/Σ exp(x − max), so lse = max − log(p_max)
  // (p_max ≥ 1/vocab: no underflow). wasm's Exp is scalar (~2 ms on [1024, 256]);
  // its Softmax runs in XNNPACK (~0.5 ms).
  const crossEntropy = withGradient<tfc.Scalar>(tf, 2, ([logits, targets], save) => {
    const vocab = logits.shape[1]!;
    const rows = logits.shape[0]!;
    const oneHot = tf.oneHot(targets as tfc.Tensor1D, vocab);
    const picked = tf.sum(tf.mul(logits, oneHot), 1);
    const probs = tf.softmax(logits);
    const logSumExp = tf.sub(tf.max(logits, 1), tf.log(tf.max(probs, 1)));
    const loss = tf.mean(tf.sub(logSumExp, picked)) as tfc.Scalar;
    save([probs, oneHot]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [p, hot] = saved;
        const grad = tf.mul(tf.sub(p, hot), tf.div(dy, rows));
        return [grad, tf.zerosLike(targets)];
      },
    };
  });

  return {
    matmul,
    activation: (kind, x) => (kind === "relu" ? tf.relu(x) : gelu(x)),
    activationGrad: (kind, x, dy) => (kind === "relu" ? tf.mul(dy, tf.step(x)) : geluGrad(tf, x, dy)),
    crossEntropy: (logits, targets) => crossEntropy(logits, targets),
  };
}

export type GradientBody<T extends Tensor> = (
  inputs: Tensor[],
  save: tfc.GradSaveFunc,
) => { value: T; gradFunc: (dy: T, saved: Tensor[]) => Tensor[] };

/**
 * tf.customGrad with its inputs as an array: `arity` tensors, then tfjs' save function.
 * A whole sublayer under one custom gradient is one tape entry instead of one per
 * op: on wasm each recorded op costs ~50–100 µs of tfjs bookkeeping (saved-tensor
 * clones, casts, accumulation) whatever its size, as much as the arithmetic here.
 */
export function withGradient<T extends Tensor>(tf: TF, arity: number, body: GradientBody<T>): (...inputs: Tensor[]) => T {
  const f = tf.customGrad<T>((...args) => body(args.slice(0, arity) as Tensor[], args[arity] as tfc.GradSaveFunc));
  return (...inputs) => f(...inputs);
}

/** dy · gelu'(x), gelu'(x) = Φ(x) + x φ(x). */
function geluGrad(tf: TF, x: Tensor, dy: Tensor): Tensor {
  const density = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return tf.mul(dy, tf.add(normalCdf(tf, x), tf.mul(x, density)));
}

/**
 * Σ over the rows of `x [N, d]` → `[d]`, as ones[1, N] @ x: one pass of motc's
 * matmul kernel over x (~0.01 ms for [1024, 64]). wasm's Sum over axis 0 is slow,
 * and so was this product on XNNPACK, which packed all of x as its weights.
 */
export function sumRows(tf: TF, x: Tensor): Tensor {
  const [rows, cols] = x.shape as [number, number];
  return tf.reshape(tf.matMul(tf.ones([1, rows]) as Tensor2D, x as Tensor2D), [cols]);
}

/** Φ(x) = (1 + erf(x / √2)) / 2 with tfjs' erf (a kernel on cpu, wasm and webgpu). */
function normalCdf(tf: TF, x: Tensor): Tensor {
  return tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
}
