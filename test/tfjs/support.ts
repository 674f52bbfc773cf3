// Shared by the tfjs tests: a backend, small hand-built models covering every
// layer kind, weights large enough that every path carries gradient, and the
// float64 loss of test/reference for finite differences.
import type { Weights } from "../../src/ir/init.js";
import type { ModelIR, Sublayer } from "../../src/ir/model.js";
import type { AttentionLayer } from "../../src/ir/layers/attention.js";
import type { FeedForwardLayer } from "../../src/ir/layers/ff.js";
import type { GatedFeedForwardLayer } from "../../src/ir/layers/glu.js";
import type { MixtureOfTokensLayer } from "../../src/ir/layers/mot.js";
import { parameterTable, paramCount } from "../../src/ir/params.js";
import { Random } from "../../src/ir/random.js";
import { selectBackend, type BackendPreference, type TF } from "../../src/tfjs/index.js";
import { referenceLogits } from "../reference/forward.js";

export { maxAbsDifference, randomIds } from "../support/numbers.js";

export async function backend(preference: BackendPreference): Promise<TF> {
  const { tf, name } = await selectBackend(preference, () => {});
  if (name !== preference) throw new Error(`asked for ${preference}, got ${name}`);
  return tf;
}

const attention = (index: number, heads: number, d: number, extra: Partial<AttentionLayer> = {}): AttentionLayer =>
  ({ kind: "attention", init: { kind: "normal", std: 0.02 }, index, heads, headDim: d / heads, causal: true, bias: false, ...extra });
const ff = (index: number, size: number, activation: FeedForwardLayer["activation"]): FeedForwardLayer =>
  ({ kind: "ff", init: { kind: "normal", std: 0.02 }, index, size, activation });
const glu = (index: number, size: number, activation: GatedFeedForwardLayer["activation"]): GatedFeedForwardLayer =>
  ({ kind: "glu", init: { kind: "normal", std: 0.02 }, index, size, activation });
const mot = (index: number, experts: number, group: number, expertSize: number, extra: Partial<MixtureOfTokensLayer> = {}): MixtureOfTokensLayer =>
  ({ kind: "mot", init: { kind: "fan_in", scale: 1 }, index, experts, group, expertSize, temp: { kind: "fixed", value: 1 }, activation: "relu", ...extra });

function model(name: string, sublayers: Sublayer[], extra: Partial<ModelIR> = {}): ModelIR {
  return { name, vocab: 11, context: 6, dModel: 8, dFF: 16, norm: "layernorm", normEps: 1e-5, dropout: 0, init: { kind: "normal", std: 0.02 }, position: "learned", sublayers, tiedHead: true, ...extra };
}

/** Small models that between them use every layer kind and option the tfjs lowering has. */
export function gradientModels(): ModelIR[] {
  return [
    // layernorm, learned positions, tied head, causal attention, MoT with a learned
    // temperature and groups of 3 (batch 5 leaves a group of 2), gelu ff.
    model("causal_mot_learned", [
      attention(0, 2, 8),
      mot(1, 3, 3, 6, { temp: { kind: "learnable", init: 0.7 } }),
      ff(2, 12, "gelu"),
    ]),
    // rmsnorm, sinusoidal positions, untied head, non-causal attention with biases,
    // MoT with a fixed temperature and gelu, group 1 (a dense FFN), relu ff.
    model("bidirectional_fixed", [
      attention(0, 4, 8, { causal: false, bias: true }),
      mot(1, 2, 2, 5, { temp: { kind: "fixed", value: 1.5 }, activation: "gelu" }),
      mot(2, 3, 1, 4, { temp: { kind: "learnable", init: 1 } }),
      ff(3, 10, "relu"),
    ], { norm: "rmsnorm", position: "sinusoidal", tiedHead: false }),
    // no positions; a group larger than the batch (all rows in one leftover group).
    model("no_positions_big_group", [mot(0, 2, 8, 6, { temp: { kind: "learnable", init: 1.3 } }), attention(1, 1, 8)], { position: "none" }),
    // The gated feed-forward with both activations (SwiGLU, GeGLU), under rmsnorm.
    model("gated", [attention(0, 2, 8), glu(1, 7, "silu"), glu(2, 5, "gelu")], { norm: "rmsnorm" }),
  ];
}

/**
 * Seeded weights of order one (SEMANTICS.md's init is 0.02, under which the
 * MoT softmax is nearly uniform and gradients of deep parameters vanish).
 */
export function strongWeights(m: ModelIR, seed: number): Weights {
  const weights: Weights = new Map();
  for (const spec of parameterTable(m)) {
    const random = new Random(seed, spec.name);
    const values = new Float32Array(paramCount(spec.shape));
    const fanIn = spec.shape.length >= 2 ? spec.shape[spec.shape.length - 2] : 1;
    const noise = noiseSource(random, values.length);
    let [centre, spread] = [0, (spec.name.endsWith("controller") ? 1.5 : 1.2) / Math.sqrt(fanIn)];
    if (spec.name.endsWith("log_temp")) [centre, spread] = [Math.log(0.7), 0.1];
    else if (spec.name.endsWith(".scale")) [centre, spread] = [1, 0.2];
    else if (spec.shape.length === 1) [centre, spread] = [0, 0.2]; // biases
    for (let i = 0; i < values.length; i++) values[i] = centre + spread * noise(i);
    weights.set(spec.name, values);
  }
  return weights;
}

/**
 * Standard normal noise by element index. Tensors of the paper model's size
 * (20M values) draw from a seeded table of a prime length instead: a full draw
 * takes seconds, and a forward check needs variety, not independence.
 */
function noiseSource(random: Random, size: number): (i: number) => number {
  const TABLE = 65521;
  if (size <= 4 * TABLE) {
    const values = Float64Array.from({ length: size }, () => random.normal());
    return (i) => values[i];
  }
  const table = Float64Array.from({ length: TABLE }, () => random.normal());
  const offset = random.int(TABLE);
  return (i) => table[((i % TABLE) * 40503 + offset) % TABLE];
}

/** Mean next-token cross-entropy of the float64 reference logits. */
export function referenceLoss(m: ModelIR, weights: Weights, ids: number[][], targets: number[][]): number {
  const logits = referenceLogits(m, weights, ids);
  const vocab = m.vocab;
  const flatTargets = targets.flat();
  let total = 0;
  for (let r = 0; r < flatTargets.length; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    const max = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    total += max + Math.log(sum) - row[flatTargets[r]];
  }
  return total / flatTargets.length;
}
