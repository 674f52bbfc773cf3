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

/** Where one parameter lives in its chunk's flat moment vectors. */
interface Slot {
  param: TrainableParam;
  offset: number;
  size: number;
}

/** Parameters updated together: their moments in two flat variables, decayed parameters first. */
interface Chunk {
  slots: Slot[];
  /** Elements of the parameters with weight decay: the flat vectors' first `decayed`. */
  decayed: number;
  total: number;
  m: tfc.Variable;
  v: tfc.Variable;
}

/**
 * Parameters are updated in chunks of about this many elements (16 MiB of
 * float32; a larger parameter is a chunk of its own). A chunk's update holds a
 * few temporaries of its size, so chunking bounds the update's memory: on the
 * 4 GiB wasm heap, one flat update of every parameter at once left no room for
 * anything else on a model of 80M parameters. Every element sees the same
 * operations whatever its chunk, so chunking changes no bit of the result.
 */
export const CHUNK_ELEMENTS = 1 << 22;

/**
 * The moments live in flat variables, one pair per chunk, so one update is ~15
 * kernels per chunk over all its parameters at once instead of ~10 per
 * parameter (tiny.mot, one chunk: ~300 kernels, each with tfjs' bookkeeping).
 */
export class AdamW {
  private readonly chunks: Chunk[];
  /** Each parameter's chunk and slot, in the caller's parameter order: exported state keeps that order. */
  private readonly inParamOrder: { chunk: Chunk; slot: Slot }[];
  /** Updates taken so far. */
  step = 0;

  constructor(private readonly tf: Tf, params: readonly TrainableParam[], readonly config: AdamWConfig, chunkElements = CHUNK_ELEMENTS) {
    const ordered = [...params.filter((p) => p.decay), ...params.filter((p) => !p.decay)];
    const groups: TrainableParam[][] = [];
    let size = Infinity;
    for (const param of ordered) {
      if (size + param.variable.size > chunkElements) {
        groups.push([]);
        size = 0;
      }
      groups[groups.length - 1].push(param);
      size += param.variable.size;
    }
    this.chunks = groups.map((group) => {
      let offset = 0;
      const slots = group.map((param) => {
        const slot = { param, offset, size: param.variable.size };
        offset += slot.size;
        return slot;
      });
      const decayed = group.filter((p) => p.decay).reduce((n, p) => n + p.variable.size, 0);
      return { slots, decayed, total: offset, m: tf.variable(tf.zeros([offset]), false), v: tf.variable(tf.zeros([offset]), false) };
    });
    const where = new Map(this.chunks.flatMap((chunk) => chunk.slots.map((slot) => [slot.param, { chunk, slot }] as const)));
    this.inParamOrder = params.map((param) => where.get(param)!);
  }

  /**
   * One update with learning rate `lr` from `grads` (by parameter name), as
   * torch.optim.AdamW:  p ← p·(1 − lr·λ)   (decayed parameters only)
   *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
   *   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
   */
  apply(grads: ReadonlyMap<string, tfc.Tensor>, lr: number): void {
    this.step += 1;
    for (const chunk of this.chunks) this.tf.tidy(() => this.applyChunk(chunk, grads, lr));
  }

  /** The update of one chunk; each temporary is freed as soon as the next needs no more of it. */
  private applyChunk(chunk: Chunk, grads: ReadonlyMap<string, tfc.Tensor>, lr: number): void {
    const tf = this.tf;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const correction1 = 1 - Math.pow(beta1, this.step);
    const correction2 = 1 - Math.pow(beta2, this.step);
    const flat = (t: tfc.Tensor) => tf.reshape(t, [t.size]);
    const grad = tf.concat(chunk.slots.map(({ param }) => {
      const g = grads.get(param.name);
      if (!g) throw new Error(`internal: no gradient for ${param.name}`);
      return flat(g);
    }));
    const m1 = tf.tidy(() => tf.add(tf.mul(chunk.m, beta1), tf.mul(grad, 1 - beta1)));
    const v1 = tf.tidy(() => tf.add(tf.mul(chunk.v, beta2), tf.mul(tf.square(grad), 1 - beta2)));
    grad.dispose();
    const update = tf.tidy(() => tf.mul(tf.div(m1, tf.add(tf.div(tf.sqrt(v1), Math.sqrt(correction2)), eps)), lr / correction1));
    chunk.m.assign(m1);
    chunk.v.assign(v1);
    m1.dispose();
    v1.dispose();
    const next = tf.tidy(() => {
      const params = tf.concat(chunk.slots.map(({ param }) => flat(param.variable)));
      // ×(1 − lr·λ) on the decayed prefix, ×1 (exact) on the rest.
      const decayed = chunk.decayed > 0 && weightDecay > 0
        ? tf.mul(params, tf.concat([tf.fill([chunk.decayed], 1 - lr * weightDecay), tf.ones([chunk.total - chunk.decayed])]))
        : params;
      return tf.sub(decayed, update);
    });
    update.dispose();
    const pieces = tf.split(next, chunk.slots.map((slot) => slot.size));
    next.dispose();
    chunk.slots.forEach(({ param }, i) => param.variable.assign(tf.reshape(pieces[i], param.variable.shape)));
  }

  exportState(): OptimizerState {
    const m: Weights = new Map();
    const v: Weights = new Map();
    const moments = new Map(this.chunks.map((chunk) => [chunk, { m: chunk.m.dataSync() as Float32Array, v: chunk.v.dataSync() as Float32Array }]));
    for (const { chunk, slot: { param, offset, size } } of this.inParamOrder) {
      const { m: allM, v: allV } = moments.get(chunk)!;
      m.set(param.name, allM.slice(offset, offset + size));
      v.set(param.name, allV.slice(offset, offset + size));
    }
    return { step: this.step, m, v };
  }

  importState(state: OptimizerState): void {
    for (const chunk of this.chunks) {
      const allM = new Float32Array(chunk.total);
      const allV = new Float32Array(chunk.total);
      for (const { param, offset, size } of chunk.slots) {
        const storedM = state.m.get(param.name);
        const storedV = state.v.get(param.name);
        if (!storedM || !storedV) throw new Error(`internal: optimizer state has no moments for ${param.name}`);
        if (storedM.length !== size || storedV.length !== size) throw new Error(`internal: optimizer state for ${param.name} has the wrong size`);
        allM.set(storedM, offset);
        allV.set(storedV, offset);
      }
      this.tf.tidy(() => {
        chunk.m.assign(this.tf.tensor1d(allM, "float32"));
        chunk.v.assign(this.tf.tensor1d(allV, "float32"));
      });
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const chunk of this.chunks) {
      chunk.m.dispose();
      chunk.v.dispose();
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
