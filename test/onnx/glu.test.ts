// The gated feed-forward (SEMANTICS.md, "glu") in ONNX against the float64
// reference at 1e-5, with weights of order one so the gate is far from linear,
// and in its float16 form. Decoding with the KV cache is covered for specs/glu.mot
// by decoding.test.ts, like every spec.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Weights } from "../../src/ir/init.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { referenceLogits } from "../reference/forward.js";
import { gluModel } from "../support/glu.js";
import { strongWeights } from "../tfjs/support.js";
import { cpuSession, maxAbsDifference, randomIds, runLogits } from "./ort.js";

const TOLERANCE = 1e-5;

for (const activation of ["silu", "gelu"] as const) {
  test(`glu(activation = ${activation}): ONNX logits equal the float64 reference to ${TOLERANCE}`, async (t) => {
    const model = gluModel(activation);
    const weights = strongWeights(model, 5);
    const session = await cpuSession(lowerToOnnx(model, weights));
    for (const [batch, length] of [[1, 8], [3, 5]]) {
      const ids = randomIds(model.vocab, batch, length, batch);
      const difference = maxAbsDifference(await runLogits(session, ids), referenceLogits(model, weights, ids));
      t.diagnostic(`B=${batch} T=${length}: max |ONNX − reference| = ${difference.toExponential(2)}`);
      assert.ok(difference <= TOLERANCE, `max abs difference ${difference}`);
      // The comparison has power: the other activation (same parameter names) is far away.
      const other = gluModel(activation === "silu" ? "gelu" : "silu");
      assert.ok(maxAbsDifference(await runLogits(session, ids), referenceLogits(other, weights, ids)) > 1e-2);
    }
    await session.release();
  });
}

test("glu --fp16: float16 weights, logits within float16 rounding of the float64 reference on the rounded weights", async (t) => {
  const model = gluModel("silu");
  const weights = strongWeights(model, 9);
  const rounded: Weights = new Map([...weights].map(([name, values]) => [name, values.map((v) => Math.fround(toHalf(v)))]));
  const session = await cpuSession(lowerToOnnx(model, weights, { fp16: true }));
  const ids = randomIds(model.vocab, 2, 6, 4);
  const difference = maxAbsDifference(await runLogits(session, ids), referenceLogits(model, rounded, ids));
  t.diagnostic(`max |fp16 ONNX − reference on float16-rounded weights| = ${difference.toExponential(2)}`);
  assert.ok(difference <= TOLERANCE, `max abs difference ${difference}`);
  await session.release();
});

/** Round to the nearest float16 value (round half to even, via a float32 view; no subnormals occur here). */
function toHalf(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const exponent = Math.floor(Math.log2(Math.abs(value)));
  const step = 2 ** (exponent - 10);
  const scaled = value / step;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return rounded * step;
}
