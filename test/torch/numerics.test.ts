// The generated model.py against the float64 reference of SEMANTICS.md
// (test/reference), for every model of specs/ and the test fixtures, at batch
// 1, 3 and a batch no MoT group divides (the leftover group), with weights that
// make routing matter; then moe in training mode (capacity drops, auxiliary
// losses) and model.py's own command line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { initialWeights, type Weights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { writeCheckpoint } from "../../src/train/checkpoint.js";
import { distinctModels, specModels } from "../onnx/models.js";
import { strongRouting, unevenBatch } from "../onnx/ort.js";
import { referenceLogits } from "../reference/forward.js";
import { python, requireChecker } from "../support/checkers.js";
import { moeSpecModel, oneExpertModel, strongMoe, withMoe } from "../support/moe.js";
import { maxAbsDifference, randomIds } from "../support/numbers.js";
import { checkRun, npyShape, pythonEnv, readNpy, runForward, writeProgram } from "./support.js";

const TOLERANCE = 1e-4;

/** Weights that make MoT and moe routing matter (near-uniform softmaxes would hide bugs). */
function strongWeights(model: ModelIR): Weights {
  return strongRouting(model, model.sublayers.some((l) => l.kind === "moe") ? strongMoe(model, 7) : initialWeights(model, 7));
}

test("model.py logits equal the float64 reference for every spec and fixture, at B = 1, 3 and a leftover group", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const dir = mkdtempSync(join(tmpdir(), "motc-torch-numerics-"));
  try {
    const cases = distinctModels(specModels()).filter((entry) => !entry.sameAs).flatMap(({ label, model }, m) => {
      const weights = strongWeights(model);
      const program = writeProgram(join(dir, `program-${m}`), model, weights);
      // The paper model: short sequences keep the plain-JS reference to seconds.
      const large = model.vocab * model.dModel > 1e6;
      const shapes = large ? [[1, 6], [3, 4], [unevenBatch(model), 2]] : [[1, 12], [3, 12], [unevenBatch(model), 12]];
      return shapes.map(([batch, length]) => ({ label, model, weights, program, ids: randomIds(model.vocab, batch, length, batch) }));
    });
    const results = runForward(join(dir, "runs"), cases.map((c) => ({ program: c.program, weights: join(c.program, "initial"), ids: c.ids })));
    cases.forEach((c, i) => {
      const difference = maxAbsDifference(results[i].logits, referenceLogits(c.model, c.weights, c.ids));
      t.diagnostic(`${c.label} B=${c.ids.length} T=${c.ids[0].length}: max |torch − reference| = ${difference.toExponential(2)}`);
      assert.ok(difference <= TOLERANCE, `${c.label} B=${c.ids.length}: max abs difference ${difference} > ${TOLERANCE}`);
    });
    assert.ok(cases.length >= 30, `only ${cases.length} cases`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("moe in training mode: capacity drops and auxiliary losses equal the reference's", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const dir = mkdtempSync(join(tmpdir(), "motc-torch-moe-"));
  try {
    const one = oneExpertModel();
    const spec = moeSpecModel();
    const tight = withMoe(spec, (l) => (l.routing === "token_choice" ? { capacity: 0.5 } : { capacity: 2, group: 3 }));
    const cases = [
      { model: one.model, weights: one.weights, ids: randomIds(one.model.vocab, 2, 6, 3) },
      { model: spec, weights: strongMoe(spec, 7), ids: randomIds(spec.vocab, 5, 6, 11) },
      { model: tight, weights: strongMoe(tight, 8), ids: randomIds(tight.vocab, 4, 6, 12) },
    ];
    const programs = cases.map((c, i) => writeProgram(join(dir, `program-${i}`), c.model, c.weights));
    const results = runForward(join(dir, "runs"), cases.flatMap((c, i) => [
      { program: programs[i], weights: join(programs[i], "initial"), ids: c.ids, training: true },
      { program: programs[i], weights: join(programs[i], "initial"), ids: c.ids, training: false },
    ]));
    cases.forEach((c, i) => {
      const auxLosses: number[] = [];
      const reference = referenceLogits(c.model, c.weights, c.ids, { training: true, auxLosses });
      const [training, inference] = [results[2 * i], results[2 * i + 1]];
      const difference = maxAbsDifference(training.logits, reference);
      t.diagnostic(`${c.model.name} B=${c.ids.length}: training max |torch − reference| = ${difference.toExponential(2)}; aux ${training.aux.join(", ")} vs ${auxLosses.join(", ")}`);
      assert.ok(difference <= TOLERANCE, `${c.model.name}: training logits differ by ${difference}`);
      assert.equal(training.aux.length, auxLosses.length);
      training.aux.forEach((aux, j) => assert.ok(Math.abs(aux - auxLosses[j]) < 1e-6, `aux loss ${j}: ${aux} vs ${auxLosses[j]}`));
      // Capacity drops must show: training and inference logits differ where tokens were dropped.
      if (i === 0) assert.ok(maxAbsDifference(training.logits, inference.logits) > 0.05, "no token was dropped in training");
      assert.ok(maxAbsDifference(inference.logits, referenceLogits(c.model, c.weights, c.ids)) <= TOLERANCE);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("python3 model.py --weights RUN --ids --out: a run directory's latest checkpoint, logits [B, T, vocab] as .npy", (t) => {
  if (!requireChecker(t, "python3-torch")) return;
  const dir = mkdtempSync(join(tmpdir(), "motc-torch-cli-"));
  try {
    const model = specModels().find((m) => m.label.endsWith("specs/tiny.mot:tiny"))!.model;
    const program = writeProgram(join(dir, "tiny.torch"), model, initialWeights(model, 0));
    // A run directory: latest names checkpoint-000007, which holds other weights than initial/.
    const trained = strongRouting(model, initialWeights(model, 3));
    writeCheckpoint(join(dir, "run", "checkpoint-000007"), model, 7, trained);
    writeFileSync(join(dir, "run", "latest"), "checkpoint-000007\n");
    const ids = randomIds(model.vocab, 5, 9, 2);
    writeFileSync(join(dir, "ids.json"), JSON.stringify(ids));
    const out = join(dir, "logits.npy");
    const run = spawnSync(python, [join(program, "model.py"), "--weights", join(dir, "run"), "--ids", join(dir, "ids.json"), "--out", out], { encoding: "utf8", env: pythonEnv });
    checkRun(run, "model.py");
    assert.deepEqual(npyShape(out), [5, 9, model.vocab]);
    assert.ok(maxAbsDifference(readNpy(out), referenceLogits(model, trained, ids)) <= TOLERANCE);

    // Mistakes end in one line: a ragged batch, an id out of range, a path without a checkpoint.
    writeFileSync(join(dir, "ragged.json"), JSON.stringify([[1, 2], [3]]));
    writeFileSync(join(dir, "big.json"), JSON.stringify([[1, 256]]));
    const fail = (weights: string, ids: string) =>
      spawnSync(python, [join(program, "model.py"), "--weights", weights, "--ids", ids, "--out", out], { encoding: "utf8", env: pythonEnv });
    for (const [result, line] of [
      [fail(join(dir, "run"), join(dir, "ragged.json")), "MOT436: ragged batch: sequence 1 has 1 token but sequence 0 has 2 (all must be the same length)"],
      [fail(join(dir, "run"), join(dir, "big.json")), "MOT438: token id 256 at sequence 0, position 1 is out of range (the vocabulary is [0, 256))"],
      [fail(dir, join(dir, "ids.json")), `MOT309: ${dir}: neither a checkpoint (no checkpoint.json) nor a run directory (no latest)`],
    ] as const) {
      assert.equal(result.status, 1);
      assert.equal(result.stderr, `model.py: error ${line}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
