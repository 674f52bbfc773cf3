// Gated feed-forward (SEMANTICS.md, "glu"): (act(h @ w_gate) * (h @ w_up)) @ w_down.
//
// One custom gradient for the whole layer (ops.ts, withGradient), its backward
// written out: with g = h w_gate, a = act(g), u = h w_up, p = a ⊙ u, y = p w_down,
//   dp = dy w_downᵀ,  dw_down = pᵀ dy,  du = dp ⊙ a,  dg = act'(g) ⊙ dp ⊙ u,
//   dw_gate = hᵀ dg,  dw_up = hᵀ du,  dh = dg w_gateᵀ + du w_upᵀ.
// act is silu, x · σ(x) with silu'(x) = σ(x) · (1 + x · (1 − σ(x))), or gelu (ops.ts).
import type { GatedFeedForwardLayer } from "../ir/layers/glu.js";
import { withGradient, type Lowering, type TF, type Tensor, type Tensor2D } from "./ops.js";

/** `h [B·T, d]` → `[B·T, d]`. */
export function lower(low: Lowering, layer: GatedFeedForwardLayer, h: Tensor): Tensor {
  const { tf, ops } = low;
  const p = (name: string) => low.param(`layers.${layer.index}.glu.${name}`);
  const gated = withGradient<Tensor>(tf, 4, ([x, wGate, wUp, wDown], save) => {
    const g = tf.matMul(x as Tensor2D, wGate as Tensor2D);
    const a = layer.activation === "silu" ? tf.mul(g, tf.sigmoid(g)) : ops.activation("gelu", g);
    const u = tf.matMul(x as Tensor2D, wUp as Tensor2D);
    const product = tf.mul(a, u);
    save([x, wGate, wUp, wDown, g, a, u, product]);
    return {
      value: tf.matMul(product as Tensor2D, wDown as Tensor2D),
      gradFunc: (dy, [xS, wGateS, wUpS, wDownS, gS, aS, uS, productS]) => {
        const dProduct = tf.matMul(dy as Tensor2D, tf.transpose(wDownS as Tensor2D));
        const dWDown = tf.matMul(productS as Tensor2D, dy as Tensor2D, true);
        const dU = tf.mul(dProduct, aS);
        const dA = tf.mul(dProduct, uS);
        const dG = layer.activation === "silu" ? siluGrad(tf, gS, dA) : ops.activationGrad("gelu", gS, dA);
        const dWGate = tf.matMul(xS as Tensor2D, dG as Tensor2D, true);
        const dWUp = tf.matMul(xS as Tensor2D, dU as Tensor2D, true);
        const dX = tf.add(tf.matMul(dG as Tensor2D, tf.transpose(wGateS as Tensor2D)), tf.matMul(dU as Tensor2D, tf.transpose(wUpS as Tensor2D)));
        return [dX, dWGate, dWUp, dWDown];
      },
    };
  });
  return gated(h, p("w_gate"), p("w_up"), p("w_down"));
}

/** dy · silu'(x). */
function siluGrad(tf: TF, x: Tensor, dy: Tensor): Tensor {
  const sigmoid = tf.sigmoid(x);
  return tf.mul(dy, tf.mul(sigmoid, tf.add(tf.mul(x, tf.sub(1, sigmoid)), 1)));
}
