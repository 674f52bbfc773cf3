// `mot(experts, group, expert_size, temp, activation)` — Mixture of Tokens
// (Antoniak et al.; SEMANTICS.md, "mot"). At each position the batch's rows are
// cut into groups of G; per expert, a softmax over the group mixes its tokens
// into one, the expert (act(m @ w1[e]) @ w2[e]) processes it, and the same
// weights spread the result back. Parameters `layers.i.mot.{controller [d,E],
// w1 [E,d,f], w2 [E,f,d]}` and, with a learnable temperature, `log_temp` [].
// `group`, `expert_size` (default d_ff·G/E, must be whole) and `temp` are read by
// the checker's entry for mot (src/check/layers.ts).
import type { Activation, InitScheme, Temperature } from "../model.js";
import { formatNumber, matrix, type LocalParam, type SublayerBase, type SublayerKind, type Value } from "./kind.js";

export interface MixtureOfTokensLayer extends SublayerBase {
  kind: "mot";
  experts: number;
  /** Tokens mixed per group, taken across the batch at one position. */
  group: number;
  /** f: each expert's hidden width (default d_ff * group / experts). */
  expertSize: number;
  temp: Temperature;
  activation: Activation;
  /**
   * How the group's tokens are weighted: absent (or "soft") is SEMANTICS.md's
   * softmax over the group. "hard" is its τ → 0 limit, set only by
   * `motc compile --no-mix=hard` (src/ir/nomix.ts): each expert takes the one
   * highest-logit row of its group with weight 1. ONNX lowering only.
   */
  mixing?: "soft" | "hard";
}

/** `fan_in(scale = 1)`: the default of `mot` and `moe`, as the paper's `mot/mini.yaml` sets it (init_scale 1.0). */
export const PAPER_INIT: InitScheme = { kind: "fan_in", scale: 1 };

export const mot: SublayerKind<MixtureOfTokensLayer> = {
  kind: "mot",
  title: "Mixture of Tokens",
  args: {
    experts: { type: "int", range: { positive: true } },
    group: { type: "custom" },
    expert_size: { type: "custom" },
    temp: { type: "custom", words: ["learnable"] },
    activation: { type: "choice", options: ["relu", "gelu"], default: "relu" },
    // The paper's code (llm-random, continuous_moe.py) starts the controller and both experts' matrices fan-in scaled.
    init: { type: "init", default: PAPER_INIT },
  },
  build: (args) => ({
    kind: "mot",
    experts: args.experts as number,
    group: args.group as number,
    expertSize: args.expert_size as number,
    temp: args.temp as Temperature,
    activation: args.activation as Activation,
  }),
  describe: (layer) => ({
    experts: layer.experts,
    group: layer.group,
    expert_size: layer.expertSize,
    temp: temperatureValue(layer.temp),
    activation: layer.activation,
  }),
  paramPrefix: "mot",
  params: (layer, model, init) => {
    const d = model.dModel;
    const params: LocalParam[] = [
      matrix("mot.controller", [d, layer.experts], init(d)),
      matrix("mot.w1", [layer.experts, d, layer.expertSize], init(d)),
      matrix("mot.w2", [layer.experts, layer.expertSize, d], init(layer.expertSize, true)),
    ];
    if (layer.temp.kind === "learnable") {
      params.push({ name: "mot.log_temp", shape: [], init: { kind: "constant", value: Math.log(layer.temp.init) }, decay: false });
    }
    return params;
  },
  // SEMANTICS.md: 2·E·f·2d / G for the experts plus 6·d·E for routing
  // (controller logits, mixing and emitting each cost 2·d·E).
  flopsPerToken: (layer, model) => (2 * layer.experts * layer.expertSize * 2 * model.dModel) / layer.group + 6 * model.dModel * layer.experts,
  // Input, norm; logits and mixing weights; per group of G tokens: E mixed tokens,
  // the expert hidden layer twice, E outputs. A batch smaller than G is one group of
  // all its rows, so each of them carries E/B of the mixed tokens, not E/G.
  activationFloats: (layer, model, _context, batch) => {
    const d = model.dModel;
    const group = Math.min(layer.group, batch);
    return 2 * d + 2 * layer.experts + (2 * layer.experts * d + 2 * layer.experts * layer.expertSize) / group;
  },
  role: "ffn",
  picture: (layer, model) => {
    const E = layer.experts, G = layer.group, f = layer.expertSize, d = model.dModel;
    const temp = layer.temp.kind === "fixed" ? `τ = ${formatNumber(layer.temp.value)}` : `τ learnable (init ${formatNumber(layer.temp.init)})`;
    return {
      lines: [{ text: `${E} experts · group ${G} · expert_size ${f} · ${layer.activation}` }],
      stages: [
        { name: "controller", lines: [{ text: `controller [${d}, ${E}] → logits / ${temp}` }] },
        { name: "mix", lines: [{ text: `softmax over each group of ${G} tokens (same position)` }, { text: `mix → ${E} mixed tokens per group` }] },
        { name: "experts", lines: [{ text: `${E} experts: ${d} → ${f} → ${d} (${layer.activation})` }, { text: `w1 [${E}, ${d}, ${f}] · w2 [${E}, ${f}, ${d}]` }] },
        { name: "emit", lines: [{ text: `emit: Σₑ weight × expert output → ${G} tokens` }] },
      ],
    };
  },
  style: { fill: "#fff8c5", stroke: "#9a6700" },
};

function temperatureValue(temp: Temperature): Value {
  return temp.kind === "fixed" ? temp.value : { call: "learnable", args: { init: temp.init } };
}
