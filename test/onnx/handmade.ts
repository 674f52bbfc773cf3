// Hand-built IRs of specs/*.mot, used only while the checker cannot produce them.
import type { AttentionLayer, FeedForwardLayer, MixtureOfTokensLayer, ModelIR, Sublayer } from "../../src/ir/model.js";

const attention = (index: number, heads: number, d: number, extra: Partial<AttentionLayer> = {}): AttentionLayer =>
  ({ kind: "attention", index, heads, headDim: d / heads, causal: true, bias: false, ...extra });
const ff = (index: number, size: number, activation: FeedForwardLayer["activation"] = "relu"): FeedForwardLayer =>
  ({ kind: "ff", index, size, activation });
const mot = (index: number, experts: number, group: number, expertSize: number, extra: Partial<MixtureOfTokensLayer> = {}): MixtureOfTokensLayer =>
  ({ kind: "mot", index, experts, group, expertSize, temp: { kind: "fixed", value: 1 }, activation: "relu", ...extra });

function base(name: string, vocab: number, context: number, dModel: number, sublayers: Sublayer[], extra: Partial<ModelIR> = {}): ModelIR {
  return { name, vocab, context, dModel, dFF: 4 * dModel, norm: "layernorm", normEps: 1e-5, dropout: 0, position: "learned", sublayers, tiedHead: true, ...extra };
}

export function handmadeModels(): { label: string; model: ModelIR }[] {
  const tiny = base("tiny", 256, 64, 64, [
    attention(0, 4, 64), mot(1, 16, 4, 64, { temp: { kind: "learnable", init: 1 } }),
    attention(2, 4, 64), mot(3, 16, 4, 64, { temp: { kind: "learnable", init: 1 } }),
  ]);
  const paper = base("mot_paper", 50257, 256, 256, [0, 1, 2, 3].flatMap((i) => [
    attention(2 * i, 4, 256), mot(2 * i + 1, 512, 32, 64, { temp: { kind: "learnable", init: 1 } }),
  ]));
  const attentionOnly = base("attention_only", 96, 32, 48, [attention(0, 3, 48, { bias: true }), attention(1, 6, 48, { causal: false })],
    { norm: "rmsnorm", position: "sinusoidal", tiedHead: false });
  const dense = base("dense_ff", 128, 32, 32, [attention(0, 2, 32), ff(1, 96, "gelu"), attention(2, 2, 32), ff(3, 96, "gelu"), ff(4, 64)], { dFF: 96 });
  const motLayers = base("mot_layers", 64, 16, 32, [
    attention(0, 4, 32),
    mot(1, 8, 4, 32, { temp: { kind: "learnable", init: 0.5 } }),
    mot(2, 8, 3, 24, { temp: { kind: "fixed", value: 2 } }),
    mot(3, 4, 1, 16),
    mot(4, 8, 2, 12, { activation: "gelu" }),
  ], { dFF: 64, position: "none" });
  const decoder = base("sinusoidal_decoder", 80, 24, 24, [
    attention(0, 2, 24, { bias: true }),
    mot(1, 6, 3, 24, { temp: { kind: "fixed", value: 0.7 }, activation: "gelu" }),
    attention(2, 3, 24),
    ff(3, 48, "gelu"),
  ], { dFF: 48, norm: "rmsnorm", position: "sinusoidal", tiedHead: false });
  return [
    { label: "test/fixtures/onnx/decoder.mot:sinusoidal_decoder (hand-built)", model: decoder },
    { label: "specs/tiny.mot:tiny (hand-built)", model: tiny },
    { label: "specs/mot_paper.mot:mot_paper (hand-built)", model: paper },
    { label: "specs/attention.mot:attention_only (hand-built)", model: attentionOnly },
    { label: "specs/ff.mot:dense_ff (hand-built)", model: dense },
    { label: "specs/mot.mot:mot_layers (hand-built)", model: motLayers },
  ];
}
