// Transition tuning: a trained Mixture-of-Tokens model → its sparse token-choice
// twin (the paper's "transition tuning"). Every `mot` sublayer becomes a
// `moe(routing = token_choice)` with the same experts, the controller as the
// router and w1/w2 carried over; everything else — and every other weight — is
// unchanged. Pure: model and weights in, model and weights out; a model that
// cannot be transitioned is a UserError (checkTransition).
//
// The temperature is folded into the router: router = controller / τ. MoT's
// weights are softmax(h @ controller / τ) over a group's rows; token choice's are
// softmax(h @ router) over experts. The softmax runs over another axis, so no
// choice makes the two layers equal, but h @ controller / τ is the logit scale
// the experts were trained against: folding keeps each token's ranking of the
// experts (argmax is unchanged by τ anyway) and keeps the expert probabilities as
// sharp as the trained mixing weights were, instead of as soft as the raw
// controller logits. Dropping τ would multiply every router logit by τ at once.
import { UserError } from "../base/errors.js";
import type { Weights } from "./init.js";
import type { MixtureOfExpertsLayer } from "./layers/moe.js";
import type { MixtureOfTokensLayer } from "./layers/mot.js";
import type { ModelIR, Sublayer } from "./model.js";

export interface TransitionOptions {
  /** Experts per token (default 1, Switch-style). */
  topk?: number;
  /** Training capacity factor of each expert (default 1.25, as `moe`'s default). */
  capacity?: number;
  /** Load-balancing loss weight (default 0.01, as `moe`'s default). */
  auxLoss?: number;
  /** Name of the new model (default `NAME_tc`). */
  name?: string;
}

export interface Transitioned {
  model: ModelIR;
  weights: Weights;
  /** For each rewritten layer, the temperature folded into its router. */
  folded: { index: number; temperature: number }[];
}

/**
 * Refuses what has no twin: a model without a mot layer (MOT550), or more
 * experts per token than a mot layer has (MOT551). transitionModel checks this
 * itself; the CLI calls it first, to fail before reading a checkpoint.
 */
export function checkTransition(model: ModelIR, options: TransitionOptions = {}): void {
  const motLayers = model.sublayers.filter((l): l is MixtureOfTokensLayer => l.kind === "mot");
  if (motLayers.length === 0) throw new UserError("MOT550", [model.name]);
  const fewest = Math.min(...motLayers.map((l) => l.experts));
  if (options.topk !== undefined && options.topk > fewest) throw new UserError("MOT551", [options.topk, fewest, model.name]);
}

export function transitionModel(model: ModelIR, weights: Weights, options: TransitionOptions = {}): Transitioned {
  checkTransition(model, options);
  const topk = options.topk ?? 1;
  const capacity = options.capacity ?? 1.25;
  const auxLoss = options.auxLoss ?? 0.01;
  const sublayers: Sublayer[] = model.sublayers.map((layer) =>
    layer.kind !== "mot" ? layer : {
      kind: "moe",
      index: layer.index,
      experts: layer.experts,
      routing: "token_choice",
      topk,
      capacity,
      expertSize: layer.expertSize,
      activation: layer.activation,
      auxLoss,
      init: layer.init,
    } satisfies MixtureOfExpertsLayer,
  );
  // The recipe's `temp` schedule anneals MoT temperatures; the twin has none.
  const { parent: _parent, recipe: original, ...rest } = model;
  const next: ModelIR = { ...rest, name: options.name ?? `${model.name}_tc`, sublayers };
  if (original) {
    const { temp: _temp, ...recipe } = original;
    next.recipe = recipe;
  }

  const out: Weights = new Map();
  const folded: Transitioned["folded"] = [];
  const rewritten = new Map(model.sublayers.filter((l): l is MixtureOfTokensLayer => l.kind === "mot").map((l) => [l.index, l]));
  for (const [name, values] of weights) {
    const match = /^layers\.(\d+)\.mot\.(controller|w1|w2|log_temp)$/.exec(name);
    const layer = match ? rewritten.get(Number(match[1])) : undefined;
    if (!match || !layer) {
      out.set(name, values);
      continue;
    }
    const prefix = `layers.${layer.index}.moe`;
    if (match[2] === "controller") {
      const temperature = temperatureOf(layer, weights);
      out.set(`${prefix}.router`, values.map((v) => v / temperature));
      folded.push({ index: layer.index, temperature });
    } else if (match[2] !== "log_temp") {
      out.set(`${prefix}.${match[2]}`, values);
    }
  }
  return { model: next, weights: out, folded };
}

/** τ of a MoT layer: its constant, or exp(log_temp) from the weights. */
function temperatureOf(layer: MixtureOfTokensLayer, weights: Weights): number {
  if (layer.temp.kind === "fixed") return layer.temp.value;
  const logTemp = weights.get(`layers.${layer.index}.mot.log_temp`);
  if (!logTemp) throw new Error(`internal: no weights for layers.${layer.index}.mot.log_temp`);
  return Math.exp(logTemp[0]);
}
