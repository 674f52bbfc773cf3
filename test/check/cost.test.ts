// Parameter counts and FLOPs of the checked paper models, derived by hand from
// SEMANTICS.md's parameter names and shapes, against src/ir/cost.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { modelCost } from "../../src/ir/cost.js";
import { parameterTable } from "../../src/ir/params.js";
import { repoRoot } from "../support/cli.js";
import { check } from "./helpers.js";

const [motPaper, densePaper] = check(readFileSync(join(repoRoot, "specs/mot_paper.mot"), "utf8")).models;

test("mot_paper has 81,617,668 parameters", () => {
  const vocab = 50257, context = 256, d = 256, dFF = 4 * d, blocks = 4;
  const experts = 512, group = 32;
  const expertSize = (dFF * group) / experts; // LANGUAGE.md: d_ff · group / experts = 64
  assert.equal(expertSize, 64);
  const embed = vocab * d /* embed.token [vocab, d] */ + context * d; /* embed.position [context, d], learned */
  const layerNorm = 2 * d; // layers.i.norm.{scale, bias} [d]
  const attention = 4 * d * d + layerNorm; // attn.{wq, wk, wv, wo} [d, d], no biases
  const mot =
    d * experts + // mot.controller [d, E]
    2 * experts * d * expertSize + // mot.w1 [E, d, f] and mot.w2 [E, f, d]
    1 + // mot.log_temp, a scalar (temp = learnable)
    layerNorm;
  const head = layerNorm; // head.norm.{scale, bias}; tied: no head.unembed
  const total = embed + blocks * (attention + mot) + head;
  // 12,865,792 + 65,536 + 4 · (262,144 + 131,072 + 16,777,216 + 1 + 1,024) + 512
  assert.equal(total, 81_617_668);
  assert.equal(modelCost(motPaper).params, total);
  assert.equal(parameterTable(motPaper).reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0), total);
});

test("dense_paper has 16,086,784 parameters", () => {
  const vocab = 50257, context = 256, d = 256, dFF = 1024;
  const ff = d * dFF + dFF + dFF * d + d; // ff.w1 [d, s], ff.b1 [s], ff.w2 [s, d], ff.b2 [d]
  const total = vocab * d + context * d + 4 * (4 * d * d + 2 * d + ff + 2 * d) + 2 * d;
  assert.equal(total, 16_086_784);
  assert.equal(modelCost(densePaper).params, total);
});

test("FLOPs per token follow SEMANTICS.md, and MoT's experts match the dense FFN", () => {
  const d = 256, context = 256, vocab = 50257, E = 512, f = 64, G = 32;
  const attention = 2 * 4 * d * d + 4 * context * d;
  const motExperts = (2 * E * f * 2 * d) / G; // 2·E·f·2d / G
  const motRouting = 6 * d * E;
  const dense = 2 * 2 * d * 1024;
  const head = 2 * d * vocab;
  assert.equal(motExperts, dense, "FLOP-matched: d_ff · group / experts is the expert width");
  assert.equal(modelCost(motPaper).flopsPerToken, 4 * (attention + motExperts + motRouting) + head);
  assert.equal(modelCost(densePaper).flopsPerToken, 4 * (attention + dense) + head);
  assert.equal(modelCost(motPaper).flopsPerToken, 36_217_344);
});
