// IR → TensorFlow.js training graph. One file per layer kind (embed.ts, norm.ts,
// head.ts, and each sublayer kind's, found through layers.ts); this file owns the variables
// and wires the residual stack: x = x + f(norm_i(x)) (SEMANTICS.md).
// tfjs is passed in, never imported here, so `motc check` does not load it.
import type * as tfc from "@tensorflow/tfjs-core";
import type { Weights } from "../ir/init.js";
import type { ModelIR } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";
import { embed } from "./embed.js";
import { registerGradients } from "./gradients.js";
import { head } from "./head.js";
import { tfjsLowering } from "./layers.js";
import { norm } from "./norm.js";
import { createOps, type Lowering, type TF, type Tensor } from "./ops.js";

export type { TF } from "./ops.js";
export { selectBackend, type BackendChoice, type BackendPreference } from "./backend.js";

export interface TrainingGraph {
  /** One trainable variable per parameter-table entry, keyed by its SEMANTICS.md name. */
  variables: Map<string, tfc.Variable>;
  /** `ids [B, T]` int32 → logits `[B, T, vocab]`. Dropout and moe capacity limits only when `training`. */
  logits(ids: tfc.Tensor2D, training?: boolean): tfc.Tensor3D;
  /** Mean next-token cross-entropy of `logits(ids, true)` against `targets [B, T]` int32, plus moe auxiliary losses. */
  loss(ids: tfc.Tensor2D, targets: tfc.Tensor2D): tfc.Scalar;
  /** Float32Array copies of every variable, by parameter name (checkpoint order). */
  readWeights(): Weights;
  /** Overwrites every variable from `weights` (e.g. a checkpoint being resumed). */
  writeWeights(weights: Weights): void;
  /** Training step, mixed into the dropout seed so a resumed run draws the same masks. */
  step: number;
  /** Frees the variables (and their names, so another graph can take them). */
  dispose(): void;
}

export interface GraphOptions {
  /** Seed of the dropout masks (the recipe's seed). */
  seed?: number;
}

export function createTrainingGraph(tf: TF, model: ModelIR, weights: Weights, options: GraphOptions = {}): TrainingGraph {
  registerGradients(tf);
  const variables = new Map<string, tfc.Variable>();
  for (const spec of parameterTable(model)) {
    const values = checkedValues(weights, spec.name, spec.shape);
    if (tf.engine().registeredVariables[spec.name]) {
      disposeAll(variables);
      throw new Error(`a tfjs variable named '${spec.name}' already exists: dispose() the previous training graph first`);
    }
    // tidy frees the initial tensor; the variable keeps its own reference to the data.
    variables.set(spec.name, tf.tidy(() => tf.variable(tf.tensor(values, spec.shape, "float32"), true, spec.name)));
  }
  const low: Lowering = {
    tf,
    ops: createOps(tf),
    param(name) {
      const variable = variables.get(name);
      if (!variable) throw new Error(`internal: no parameter '${name}' in ${model.name}`);
      return variable;
    },
  };
  const seed = options.seed ?? 0;

  const graph: TrainingGraph = {
    variables,
    step: 0,
    logits(ids, training = false) {
      const [batch, length] = ids.shape;
      return tf.reshape(forward(low, model, ids, dropoutFor(tf, model, training, seed, graph.step), training, []), [batch, length, model.vocab]);
    },
    loss(ids, targets) {
      const auxLosses: Tensor[] = [];
      const logits = forward(low, model, ids, dropoutFor(tf, model, true, seed, graph.step), true, auxLosses);
      const loss = low.ops.crossEntropy(logits as tfc.Tensor2D, tf.reshape(targets, [targets.size]));
      return auxLosses.reduce<tfc.Scalar>((sum, aux) => tf.add(sum, aux), loss);
    },
    readWeights() {
      const out: Weights = new Map();
      for (const [name, variable] of variables) out.set(name, new Float32Array(variable.dataSync() as Float32Array));
      return out;
    },
    writeWeights(next) {
      for (const [name, variable] of variables) {
        const values = checkedValues(next, name, variable.shape);
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, "float32")));
      }
    },
    dispose() {
      disposeAll(variables);
    },
  };
  return graph;
}

type Dropout = (x: Tensor) => Tensor;

/** ids → logits `[B·T, vocab]`; moe layers push their auxiliary losses (training only) to `auxLosses`. */
function forward(low: Lowering, model: ModelIR, ids: Tensor, dropout: Dropout, training: boolean, auxLosses: Tensor[]): Tensor {
  const { tf } = low;
  const [batch, length] = ids.shape as [number, number];
  if (length > model.context) throw new Error(`sequence length ${length} exceeds the model's context ${model.context}`);
  let x = tf.reshape(dropout(embed(low, model, tf.cast(ids, "int32"))), [batch * length, model.dModel]);
  for (const layer of model.sublayers) {
    const h = norm(low, model, `layers.${layer.index}.norm`, x);
    x = tf.add(x, dropout(tfjsLowering(layer)(low, layer, h, { batch, length, training, auxLosses })));
  }
  return head(low, model, x);
}

/** Dropout after the embedding and on every sublayer's output, in training only. */
function dropoutFor(tf: TF, model: ModelIR, training: boolean, seed: number, step: number): Dropout {
  if (!training || model.dropout === 0) return (x) => x;
  let site = 0;
  return (x) => tf.dropout(x, model.dropout, undefined, `${seed}:${step}:${site++}`);
}

function checkedValues(weights: Weights, name: string, shape: readonly number[]): Float32Array {
  const values = weights.get(name);
  if (!values) throw new Error(`no weights for parameter '${name}'`);
  if (values.length !== paramCount(shape)) {
    throw new Error(`weights for '${name}' have ${values.length} values, its shape [${shape.join(", ")}] needs ${paramCount(shape)}`);
  }
  return values;
}

function disposeAll(variables: Map<string, tfc.Variable>): void {
  for (const variable of variables.values()) variable.dispose();
  variables.clear();
}
