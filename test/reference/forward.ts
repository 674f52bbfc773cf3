// An independent float64 forward pass of SEMANTICS.md, in plain loops.
// It imports nothing from src/onnx or src/tfjs: it is what both lowerings are
// checked against, so it is written from the text of SEMANTICS.md alone and
// favours obviousness over speed. (Only the IR types and the weights map are shared.)
import type { Weights } from "../../src/ir/init.js";
import type { Activation, ModelIR } from "../../src/ir/model.js";
import type { AttentionLayer } from "../../src/ir/layers/attention.js";
import type { FeedForwardLayer } from "../../src/ir/layers/ff.js";
import type { GatedFeedForwardLayer, GluActivation } from "../../src/ir/layers/glu.js";
import type { MixtureOfTokensLayer } from "../../src/ir/layers/mot.js";
import { mixtureOfExperts, type MoeMode } from "./moe.js";

/**
 * Logits [B, T, vocab] (row-major) for token ids [B][T], all rows of equal length.
 * `moe` sets training mode (capacity limits) and collects auxiliary losses (moe.ts).
 */
export function referenceLogits(model: ModelIR, weights: Weights, ids: number[][], moe?: MoeMode): Float64Array {
  const batch = ids.length;
  const length = ids[0]?.length ?? 0;
  if (ids.some((row) => row.length !== length)) throw new Error("referenceLogits: rows of unequal length");
  const d = model.dModel;
  const w = (name: string): Float32Array => {
    const value = weights.get(name);
    if (!value) throw new Error(`referenceLogits: no weights for ${name}`);
    return value;
  };
  const shape: Shape = { batch, length, d };

  let x = embed(model, w, ids, shape);
  for (const layer of model.sublayers) {
    const h = norm(model, w, `layers.${layer.index}.norm`, x, shape);
    let y: Float64Array;
    switch (layer.kind) {
      case "attention": y = attention(w, layer, h, shape); break;
      case "ff": y = feedForward(w, layer, h, shape); break;
      case "glu": y = gatedFeedForward(w, layer, h, shape); break;
      case "mot": y = mixtureOfTokens(w, layer, h, shape); break;
      case "moe": y = mixtureOfExperts(w, layer, h, shape, moe); break;
    }
    x = x.map((value, i) => value + y[i]);
  }
  const h = norm(model, w, "head.norm", x, shape);
  const vocab = model.vocab;
  const logits = new Float64Array(batch * length * vocab);
  const table = model.tiedHead ? w("embed.token") : w("head.unembed");
  for (let r = 0; r < batch * length; r++) {
    for (let v = 0; v < vocab; v++) {
      let sum = 0;
      // tied: E[v, c] (E is [vocab, d]); untied: U[c, v] (U is [d, vocab])
      if (model.tiedHead) for (let c = 0; c < d; c++) sum += h[r * d + c] * table[v * d + c];
      else for (let c = 0; c < d; c++) sum += h[r * d + c] * table[c * vocab + v];
      logits[r * vocab + v] = sum;
    }
  }
  return logits;
}

interface Shape {
  batch: number;
  length: number;
  d: number;
}
type Lookup = (name: string) => Float32Array;

function embed(model: ModelIR, w: Lookup, ids: number[][], { batch, length, d }: Shape): Float64Array {
  const x = new Float64Array(batch * length * d);
  const tokens = w("embed.token");
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const row = (b * length + t) * d;
      for (let c = 0; c < d; c++) {
        let value = tokens[ids[b][t] * d + c];
        if (model.position === "learned") value += w("embed.position")[t * d + c];
        if (model.position === "sinusoidal") {
          const i = Math.floor(c / 2);
          const angle = t / Math.pow(10000, (2 * i) / d);
          value += c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        }
        x[row + c] = value;
      }
    }
  }
  return x;
}

function norm(model: ModelIR, w: Lookup, prefix: string, x: Float64Array, { batch, length, d }: Shape): Float64Array {
  const out = new Float64Array(x.length);
  const scale = w(`${prefix}.scale`);
  const bias = model.norm === "layernorm" ? w(`${prefix}.bias`) : undefined;
  for (let r = 0; r < batch * length; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    if (model.norm === "layernorm") {
      const mean = row.reduce((s, v) => s + v, 0) / d;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
      for (let c = 0; c < d; c++) out[r * d + c] = ((row[c] - mean) / Math.sqrt(variance + model.normEps)) * scale[c] + bias![c];
    } else {
      const meanSquare = row.reduce((s, v) => s + v * v, 0) / d;
      for (let c = 0; c < d; c++) out[r * d + c] = (row[c] / Math.sqrt(meanSquare + model.normEps)) * scale[c];
    }
  }
  return out;
}

/** y[r, :] = x[r, :] @ W (+ bias), W stored [in, out] row-major at `offset`. */
function linear(x: Float64Array, rows: number, inSize: number, weight: Float32Array, outSize: number, bias?: Float32Array, offset = 0): Float64Array {
  const y = new Float64Array(rows * outSize);
  for (let r = 0; r < rows; r++) {
    const out = y.subarray(r * outSize, (r + 1) * outSize);
    if (bias) for (let o = 0; o < outSize; o++) out[o] = bias[o];
    // Row i of W is contiguous: accumulate x[r, i] · W[i, :] (same sum, cache-friendly order).
    for (let i = 0; i < inSize; i++) {
      const xi = x[r * inSize + i];
      const row = offset + i * outSize;
      for (let o = 0; o < outSize; o++) out[o] += xi * weight[row + o];
    }
  }
  return y;
}

export function act(activation: Activation | GluActivation, v: number): number {
  if (activation === "relu") return Math.max(0, v);
  if (activation === "silu") return v / (1 + Math.exp(-v));
  return 0.5 * v * (1 + erf(v / Math.SQRT2));
}

function attention(w: Lookup, layer: AttentionLayer, h: Float64Array, { batch, length, d }: Shape): Float64Array {
  const p = (name: string) => w(`layers.${layer.index}.attn.${name}`);
  const bias = (name: string) => (layer.bias ? p(name) : undefined);
  const rows = batch * length;
  const q = linear(h, rows, d, p("wq"), d, bias("bq"));
  const k = linear(h, rows, d, p("wk"), d, bias("bk"));
  const v = linear(h, rows, d, p("wv"), d, bias("bv"));
  const dh = layer.headDim;
  const joined = new Float64Array(rows * d);
  for (let b = 0; b < batch; b++) {
    for (let head = 0; head < layer.heads; head++) {
      const c0 = head * dh; // head h owns channels h*dh … (h+1)*dh-1
      for (let t = 0; t < length; t++) {
        const visible = layer.causal ? t + 1 : length;
        const scores = new Float64Array(visible);
        for (let s = 0; s < visible; s++) {
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += q[(b * length + t) * d + c0 + c] * k[(b * length + s) * d + c0 + c];
          scores[s] = dot / Math.sqrt(dh);
        }
        const probs = softmax(scores);
        for (let c = 0; c < dh; c++) {
          let sum = 0;
          for (let s = 0; s < visible; s++) sum += probs[s] * v[(b * length + s) * d + c0 + c];
          joined[(b * length + t) * d + c0 + c] = sum;
        }
      }
    }
  }
  return linear(joined, rows, d, p("wo"), d, bias("bo"));
}

function feedForward(w: Lookup, layer: FeedForwardLayer, h: Float64Array, { batch, length, d }: Shape): Float64Array {
  const p = (name: string) => w(`layers.${layer.index}.ff.${name}`);
  const rows = batch * length;
  const hidden = linear(h, rows, d, p("w1"), layer.size, p("b1")).map((v) => act(layer.activation, v));
  return linear(hidden, rows, layer.size, p("w2"), d, p("b2"));
}

/** SEMANTICS.md "glu": (act(h @ w_gate) * (h @ w_up)) @ w_down, no biases. */
function gatedFeedForward(w: Lookup, layer: GatedFeedForwardLayer, h: Float64Array, { batch, length, d }: Shape): Float64Array {
  const p = (name: string) => w(`layers.${layer.index}.glu.${name}`);
  const rows = batch * length;
  const gate = linear(h, rows, d, p("w_gate"), layer.size).map((v) => act(layer.activation, v));
  const up = linear(h, rows, d, p("w_up"), layer.size);
  return linear(gate.map((v, i) => v * up[i]), rows, layer.size, p("w_down"), d);
}

/** SEMANTICS.md "mot", steps 1–6, one position and one group at a time. */
function mixtureOfTokens(w: Lookup, layer: MixtureOfTokensLayer, h: Float64Array, { batch, length, d }: Shape): Float64Array {
  const p = (name: string) => w(`layers.${layer.index}.mot.${name}`);
  const controller = p("controller");
  const w1 = p("w1");
  const w2 = p("w2");
  const E = layer.experts;
  const f = layer.expertSize;
  const tau = layer.temp.kind === "fixed" ? layer.temp.value : Math.exp(p("log_temp")[0]);
  const out = new Float64Array(batch * length * d);
  const row = (b: number, t: number) => (b * length + t) * d;
  for (let t = 0; t < length; t++) {
    // 1. consecutive groups of G rows; the last one holds the B mod G leftover rows
    for (let start = 0; start < batch; start += layer.group) {
      const members: number[] = [];
      for (let b = start; b < Math.min(batch, start + layer.group); b++) members.push(b);
      const tokens = members.map((b) => h.subarray(row(b, t), row(b, t) + d));
      // 2. logits[b, e] = h[b] @ controller[:, e], divided by τ
      const logits = tokens.map((token) => linear(token, 1, d, controller, E).map((v) => v / tau));
      for (let e = 0; e < E; e++) {
        // 3. softmax over the group's rows for this expert (`mixing = hard`, its τ → 0
        //    limit: 1 for the first row with the highest logit, 0 for the others)
        const column = Float64Array.from(logits, (l) => l[e]);
        const weights = layer.mixing === "hard" ? column.map((_, j) => (j === column.indexOf(Math.max(...column)) ? 1 : 0)) : softmax(column);
        // 4. mixed token
        const mixed = new Float64Array(d);
        tokens.forEach((token, j) => {
          for (let c = 0; c < d; c++) mixed[c] += weights[j] * token[c];
        });
        // 5. expert e
        const hidden = linear(mixed, 1, d, w1, f, undefined, e * d * f).map((v) => act(layer.activation, v));
        const y = linear(hidden, 1, f, w2, d, undefined, e * f * d);
        // 6. emit with the same weights, not renormalised
        members.forEach((b, j) => {
          for (let c = 0; c < d; c++) out[row(b, t) + c] += weights[j] * y[c];
        });
      }
    }
  }
  return out;
}

export function softmax(values: Float64Array): Float64Array {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / total);
}

/** erf to ~1e-15 (Abramowitz–Stegun 7.1.26 is too coarse for a 1e-4 reference): series / continued fraction. */
export function erf(x: number): number {
  const z = Math.abs(x);
  let result: number;
  if (z < 2.5) {
    // Maclaurin series: erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term / (2 * n + 1)) < 1e-17) break;
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc z = exp(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …)))) (Lentz-free backward evaluation)
    let fraction = 0;
    for (let n = 60; n >= 1; n--) fraction = (n / 2) / (z + fraction);
    result = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + fraction);
  }
  return x < 0 ? -result : result;
}
