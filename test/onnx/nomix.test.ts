// `motc compile --no-mix`: with group1 a sequence's logits are the same
// whatever else is in its batch; with hard, the logits are the float64
// reference of the τ → 0 rule, and no row's output carries another row's
// token. The mixing (default) graph is checked to depend on its batch, so the
// independence assertions can fail.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import onnxProto from "onnx-proto";
import { initialWeights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { withoutMixing } from "../../src/ir/nomix.js";
import { lowerToOnnx } from "../../src/onnx/index.js";
import { referenceLogits } from "../reference/forward.js";
import { runMotc } from "../support/cli.js";
import { specModels } from "./models.js";
import { cpuSession, maxAbsDifference, randomIds, runLogits, strongRouting } from "./ort.js";

const tiny = specModels().find((m) => m.label === "specs/tiny.mot:tiny")!.model;
const weights = strongRouting(tiny, initialWeights(tiny, 11));
const scratch = mkdtempSync(join(tmpdir(), "motc-nomix-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const LENGTH = 10;
/** Sequence 0, then `batch - 1` companions drawn with `seed`. */
const batchWith = (companionSeed: number, batch: number) => [randomIds(tiny.vocab, 1, LENGTH, 99)[0], ...randomIds(tiny.vocab, batch - 1, LENGTH, companionSeed)];
const firstSequence = (logits: Float32Array) => logits.subarray(0, LENGTH * tiny.vocab);

/** Max |Δ| of sequence 0's logits between two batches with different companions (batch 4, and 4 vs 7). */
async function companionEffect(model: ModelIR, noMix?: "group1" | "hard"): Promise<number[]> {
  const session = await cpuSession(lowerToOnnx(model, weights, { noMix }));
  const base = firstSequence(await runLogits(session, batchWith(1, 4)));
  const sameSize = firstSequence(await runLogits(session, batchWith(2, 4)));
  const otherSize = firstSequence(await runLogits(session, batchWith(3, 7)));
  await session.release();
  return [maxAbsDifference(base, sameSize), maxAbsDifference(base, otherSize)];
}

test("mixing (no --no-mix): sequence 0's logits change with its batch companions", async () => {
  const [sameSize, otherSize] = await companionEffect(tiny);
  assert.ok(sameSize > 1e-3 && otherSize > 1e-3, `companions moved the mixing model's logits by only ${sameSize}, ${otherSize}`);
});

test("--no-mix=group1: sequence 0's logits do not depend on its batch companions or batch size", async (t) => {
  const [sameSize, otherSize] = await companionEffect(tiny, "group1");
  t.diagnostic(`max |Δ logits| with other companions: ${sameSize} (B=4), ${otherSize} (B=4 vs 7)`);
  assert.equal(sameSize, 0);
  assert.ok(otherSize <= 1e-6, `batch 7 vs 4: ${otherSize}`);
});

test("--no-mix=group1 equals the float64 reference of the G = 1 model; the weights are unchanged", async () => {
  const plain = withoutMixing(tiny, "group1");
  assert.deepEqual(plain.sublayers.filter((l) => l.kind === "mot").map((l) => l.kind === "mot" && [l.group, l.expertSize]), [[1, 64], [1, 64]]);
  const session = await cpuSession(lowerToOnnx(tiny, weights, { noMix: "group1" }));
  const ids = batchWith(5, 3);
  const difference = maxAbsDifference(await runLogits(session, ids), referenceLogits(plain, weights, ids));
  await session.release();
  assert.ok(difference <= 1e-4, `max |ONNX − reference| ${difference}`);
});

test("--no-mix=hard equals the float64 reference of the τ → 0 rule (batch 5: a leftover group of 1)", async (t) => {
  const hard = withoutMixing(tiny, "hard");
  const session = await cpuSession(lowerToOnnx(tiny, weights, { noMix: "hard" }));
  for (const batch of [4, 5]) {
    const ids = batchWith(6, batch);
    const logits = await runLogits(session, ids);
    const difference = maxAbsDifference(logits, referenceLogits(hard, weights, ids));
    t.diagnostic(`B=${batch}: max |ONNX − reference| = ${difference.toExponential(2)}`);
    assert.ok(difference <= 1e-4, `B=${batch}: ${difference}`);
    // Power: the soft (τ = learned) reference is far from the hard logits.
    assert.ok(maxAbsDifference(logits, referenceLogits(tiny, weights, ids)) > 1e-2, "hard and soft mixing gave the same logits");
  }
  await session.release();
});

test("--no-mix=hard: a sequence alone in its batch gets every expert, as with group1 (one-hot weights copy tokens, never blend them)", async () => {
  const ids = batchWith(9, 1);
  const hard = await cpuSession(lowerToOnnx(tiny, weights, { noMix: "hard" }));
  const group1 = await cpuSession(lowerToOnnx(tiny, weights, { noMix: "group1" }));
  const difference = maxAbsDifference(await runLogits(hard, ids), await runLogits(group1, ids));
  await Promise.all([hard.release(), group1.release()]);
  assert.ok(difference <= 1e-5, `B=1: hard vs group1 ${difference}`);
});

test("motc compile --no-mix records the mode in the metadata; a bare --no-mix is group1; a wrong mode is refused", () => {
  const { onnx } = onnxProto;
  const metadata = (path: string) => Object.fromEntries(onnx.ModelProto.decode(readFileSync(path)).metadataProps!.map((p) => [p.key, p.value]));
  for (const [flag, mode] of [[[], "false"], [["--no-mix"], "group1"], [["--no-mix=hard"], "hard"]] as const) {
    const out = join(scratch, mode);
    const result = runMotc(["compile", "specs/tiny.mot", "--out", out, ...flag]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(metadata(join(out, "tiny.onnx"))["motc.no_mix"], mode);
  }
  const wrong = runMotc(["compile", "specs/tiny.mot", "--out", scratch, "--no-mix=soft"]);
  assert.equal(wrong.code, 2);
  assert.equal(wrong.stderr, "motc: error MOT220: --no-mix must be one of group1, hard, got 'soft'\n(run 'motc --help' for usage)\n");
});
