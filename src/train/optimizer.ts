// AdamW with decoupled weight decay (Loshchilov & Hutter), written the way
// PyTorch's torch.optim.AdamW computes it so both trainers take the same steps,
// and global-norm gradient clipping as torch.nn.utils.clip_grad_norm_.
// Decay applies to matrices only (ParamSpec.decay: not norms, biases, log_temp).
import type * as tfc from "@tensorflow/tfjs-core";
import type { AdamW as AdamWConfig } from "../ir/model.js";
import type { Weights } from "../ir/init.js";

export type Tf = typeof tfc;

export interface TrainableParam {
  name: string;
  variable: tfc.Variable;
  /** Whether weight decay applies (ParamSpec.decay). */
  decay: boolean;
}

/** The optimizer's whole state: what a checkpoint must hold to resume exactly. */
export interface OptimizerState {
  /** Updates taken so far (t in the bias corrections). */
  step: number;
  /** First moments, by parameter name. */
  m: Weights;
  /** Second moments, by parameter name. */
  v: Weights;
}

/** Where one parameter lives in the flat moment vectors. */
interface Slot {
  param: TrainableParam;
  offset: number;
  size: number;
}

/**
 * The moments of all parameters live in two flat variables, decayed parameters
 * first, so one update is ~15 kernels over every parameter at once instead of
 * ~10 per parameter (tiny.mot: ~300 kernels, each with tfjs' bookkeeping).
 */
export class AdamW {
  private readonly slots: Slot[];
  /** The slots in the caller's parameter order: exported state keeps that order. */
  private readonly inParamOrder: Slot[];
  /** Elements of the parameters with weight decay: the flat vectors' first `decayed`. */
  private readonly decayed: number;
  private readonly total: number;
  private readonly m: tfc.Variable;
  private readonly v: tfc.Variable;
  /** Updates taken so far. */
  step = 0;

  constructor(private readonly tf: Tf, params: readonly TrainableParam[], readonly config: AdamWConfig) {
    const ordered = [...params.filter((p) => p.decay), ...params.filter((p) => !p.decay)];
    let offset = 0;
    this.slots = ordered.map((param) => {
      const slot = { param, offset, size: param.variable.size };
      offset += slot.size;
      return slot;
    });
    this.total = offset;
    this.inParamOrder = params.map((param) => this.slots.find((slot) => slot.param === param)!);
    this.decayed = ordered.filter((p) => p.decay).reduce((n, p) => n + p.variable.size, 0);
    this.m = tf.variable(tf.zeros([this.total]), false);
    this.v = tf.variable(tf.zeros([this.total]), false);
  }

  /**
   * One update with learning rate `lr` from `grads` (by parameter name), as
   * torch.optim.AdamW:  p ← p·(1 − lr·λ)   (decayed parameters only)
   *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
   *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
   */
  apply(grads: ReadonlyMap<string, tfc.Tensor>, lr: number): void {
    const tf = this.tf;
    const { beta1, beta2, eps, weightDecay } = this.config;
    this.step += 1;
    const correction1 = 1 - Math.pow(beta1, this.step);
    const correction2 = 1 - Math.pow(beta2, this.step);
    tf.tidy(() => {
      const flat = (t: tfc.Tensor) => tf.reshape(t, [t.size]);
      const grad = tf.concat(this.slots.map(({ param }) => {
        const g = grads.get(param.name);
        if (!g) throw new Error(`internal: no gradient for ${param.name}`);
        return flat(g);
      }));
      const params = tf.concat(this.slots.map(({ param }) => flat(param.variable)));
      // ×(1 − lr·λ) on the decayed prefix, ×1 (exact) on the rest.
      const decayed = this.decayed > 0 && weightDecay > 0
        ? tf.mul(params, tf.concat([tf.fill([this.decayed], 1 - lr * weightDecay), tf.ones([this.total - this.decayed])]))
        : params;
      const m1 = tf.add(tf.mul(this.m, beta1), tf.mul(grad, 1 - beta1));
      const v1 = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(grad), 1 - beta2));
      const denominator = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(correction2)), eps);
      const update = tf.mul(tf.div(m1, denominator), lr / correction1);
      this.m.assign(m1);
      this.v.assign(v1);
      const next = tf.split(tf.sub(decayed, update), this.slots.map((slot) => slot.size));
      this.slots.forEach(({ param }, i) => param.variable.assign(tf.reshape(next[i], param.variable.shape)));
    });
  }

  exportState(): OptimizerState {
    const allM = this.m.dataSync() as Float32Array;
    const allV = this.v.dataSync() as Float32Array;
    const m: Weights = new Map();
    const v: Weights = new Map();
    for (const { param, offset, size } of this.inParamOrder) {
      m.set(param.name, allM.slice(offset, offset + size));
      v.set(param.name, allV.slice(offset, offset + size));
    }
    return { step: this.step, m, v };
  }

  importState(state: OptimizerState): void {
    const allM = new Float32Array(this.total);
    const allV = new Float32Array(this.total);
    for (const { param, offset, size } of this.slots) {
      const storedM = state.m.get(param.name);
      const storedV = state.v.get(param.name);
      if (!storedM || !storedV) throw new Error(`internal: optimizer state has no moments for ${param.name}`);
      if (storedM.length !== size || storedV.length !== size) throw new Error(`internal: optimizer state for ${param.name} has the wrong size`);
      allM.set(storedM, offset);
      allV.set(storedV, offset);
    }
    this.tf.tidy(() => {
      this.m.assign(this.tf.tensor1d(allM, "float32"));
      this.v.assign(this.tf.tensor1d(allV, "float32"));
    });
    this.step = state.step;
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

/** √(Σ‖g‖²) over every gradient, as a scalar tensor. */
export function globalNorm(tf: Tf, grads: Iterable<tfc.Tensor>): tfc.Scalar {
  return tf.tidy(() => {
    const squares = [...grads].map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(tf.addN(squares)) as tfc.Scalar;
  });
}

/**
 * Scales every gradient by min(1, clip / (norm + 1e-6)) (clip_grad_norm_'s
 * formula, so the two trainers clip identically); `clip` 0 means no clipping.
 */
export function clipByGlobalNorm(tf: Tf, grads: ReadonlyMap<string, tfc.Tensor>, norm: number, clip: number): Map<string, tfc.Tensor> {
  const scale = clip > 0 ? Math.min(1, clip / (norm + 1e-6)) : 1;
  if (scale === 1) return new Map(grads);
  return new Map([...grads].map(([name, g]) => [name, tf.mul(g, scale)]));
}
