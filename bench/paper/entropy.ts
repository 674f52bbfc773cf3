// Routing-weight entropy of each MoT layer of a trained model: the mean entropy
// (nats) of the group softmax w[·,t,e] (SEMANTICS.md "mot", step 3) over every
// group, position and expert of the given batches. ln G means the layer mixes
// its group evenly; 0 means each expert takes one token (a hard, MoE-like choice).
// It runs the tfjs lowerings layer by layer to get each MoT layer's input.
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR, Sublayer } from "../../src/ir/model.js";
import { parameterTable } from "../../src/ir/params.js";
import { embed } from "../../src/tfjs/embed.js";
import { tfjsLowering } from "../../src/tfjs/layers.js";
import { norm } from "../../src/tfjs/norm.js";
import { createOps, type Lowering, type TF, type Tensor } from "../../src/tfjs/ops.js";
import type { Batch } from "../../src/data/batches.js";

export interface LayerEntropy {
  index: number;
  group: number;
  /** Mean entropy of the group softmax, nats. */
  entropy: number;
  /** The learned (or fixed) temperature τ. */
  temperature: number;
}

export function motEntropies(tf: TF, model: ModelIR, weights: Weights, batches: readonly Batch[]): LayerEntropy[] {
  // Read-only variables, because that is what a lowering's `param` hands out.
  const variables = new Map(
    parameterTable(model).map((spec) => [spec.name, tf.tidy(() => tf.variable(tf.tensor(weights.get(spec.name)!, spec.shape, "float32"), false))]),
  );
  const low: Lowering = {
    tf,
    ops: createOps(tf),
    param(name) {
      const variable = variables.get(name);
      if (!variable) throw new Error(`no weights for ${name}`);
      return variable;
    },
  };
  const sums = new Map<number, number>();
  let batchesSeen = 0;
  for (const batch of batches) {
    tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputs, [batch.batch, batch.context], "int32");
      let x = tf.reshape(embed(low, model, ids), [batch.batch * batch.context, model.dModel]);
      for (const layer of model.sublayers) {
        const h = norm(low, model, `layers.${layer.index}.norm`, x);
        if (layer.kind === "mot") sums.set(layer.index, (sums.get(layer.index) ?? 0) + groupEntropySum(low, layer, h, batch));
        x = tf.add(x, tfjsLowering(layer)(low, layer, h, { batch: batch.batch, length: batch.context, training: false, auxLosses: [] }));
      }
    });
    batchesSeen += 1;
  }
  for (const variable of variables.values()) variable.dispose();
  return model.sublayers.flatMap((layer) =>
    layer.kind !== "mot" ? [] : [{
      index: layer.index,
      group: layer.group,
      entropy: sums.get(layer.index)! / batchesSeen,
      temperature: layer.temp.kind === "fixed" ? layer.temp.value : Math.exp(weights.get(`layers.${layer.index}.mot.log_temp`)![0]),
    }],
  );
}

/** Mean over (group, position, expert) of −Σ_b w log w for one batch (whole groups only). */
function groupEntropySum(low: Lowering, layer: Extract<Sublayer, { kind: "mot" }>, h: Tensor, batch: Batch): number {
  const { tf } = low;
  const groups = Math.floor(batch.batch / layer.group);
  const rows = groups * layer.group;
  const tau = layer.temp.kind === "fixed" ? layer.temp.value : Math.exp(low.param(`layers.${layer.index}.mot.log_temp`).dataSync()[0]);
  let logits = tf.div(low.ops.matmul(h, low.param(`layers.${layer.index}.mot.controller`)), tau);
  logits = tf.slice(tf.reshape(logits, [batch.batch, batch.context, layer.experts]), [0, 0, 0], [rows, batch.context, layer.experts]);
  // [groups, G, T, E] → softmax over G (axis 1)
  const grouped = tf.transpose(tf.reshape(logits, [groups, layer.group, batch.context, layer.experts]), [0, 2, 3, 1]);
  const logW = tf.logSoftmax(grouped);
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logW), logW), -1));
  return tf.mean(entropy).dataSync()[0];
}

