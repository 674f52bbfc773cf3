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

interface Slot {
  param: TrainableParam;
  m: tfc.Variable;
  v: tfc.Variable;
}

export class AdamW {
  private readonly slots: Slot[];
  /** Updates taken so far. */
  step = 0;

  constructor(private readonly tf: Tf, params: readonly TrainableParam[], readonly config: AdamWConfig) {
    this.slots = params.map((param) => ({
      param,
      m: tf.variable(tf.zerosLike(param.variable), false),
      v: tf.variable(tf.zerosLike(param.variable), false),
    }));
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
      for (const { param, m, v } of this.slots) {
        const grad = grads.get(param.name);
        if (!grad) throw new Error(`internal: no gradient for ${param.name}`);
        const decayed = param.decay && weightDecay > 0 ? tf.mul(param.variable, 1 - lr * weightDecay) : param.variable;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
        const denominator = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(correction2)), eps);
        const update = tf.mul(tf.div(m1, denominator), lr / correction1);
        m.assign(m1);
        v.assign(v1);
        param.variable.assign(tf.sub(decayed, update));
      }
    });
  }

  exportState(): OptimizerState {
    const m: Weights = new Map();
    const v: Weights = new Map();
    for (const slot of this.slots) {
      m.set(slot.param.name, Float32Array.from(slot.m.dataSync() as Float32Array));
      v.set(slot.param.name, Float32Array.from(slot.v.dataSync() as Float32Array));
    }
    return { step: this.step, m, v };
  }

  importState(state: OptimizerState): void {
    for (const { param, m, v } of this.slots) {
      const storedM = state.m.get(param.name);
      const storedV = state.v.get(param.name);
      if (!storedM || !storedV) throw new Error(`internal: optimizer state has no moments for ${param.name}`);
      m.assign(this.tf.tensor(storedM, m.shape, "float32"));
      v.assign(this.tf.tensor(storedV, v.shape, "float32"));
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const slot of this.slots) {
      slot.m.dispose();
      slot.v.dispose();
    }
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
