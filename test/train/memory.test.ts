// The memory a training run needs, checked against its backend before anything
// is allocated (issue 11, item 7): the calibrated wasm figure against the heap
// sizes bench/train-memory.ts measured, the refusal with the largest batch that
// fits, and `motc train specs/mot_paper.mot` refused at once.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { after, test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { UserError } from "../../src/base/errors.js";
import { formatBytes, trainingMemory } from "../../src/ir/memory.js";
import type { ModelIR } from "../../src/ir/model.js";
import { parameterTable, paramCount } from "../../src/ir/params.js";
import { WASM_HEAP, checkTrainingMemory, wasmTrainingBytes } from "../../src/train/memory.js";
import { repoRoot, runMotc } from "../support/cli.js";

const paperSpec = join(repoRoot, "specs/mot_paper.mot");
const [motPaper, densePaper] = checkSpec({ path: paperSpec, text: readFileSync(paperSpec, "utf8") }).models as [ModelIR, ModelIR];
const params = (model: ModelIR) => parameterTable(model).reduce((sum, p) => sum + paramCount(p.shape), 0);
const MiB = 2 ** 20;
const scratch = mkdtempSync(join(tmpdir(), "motc-memory-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("the wasm figure is within 7% of the heap a training step took (bench/train-memory.ts, tfjs wasm 4.22)", () => {
  // [model, batch, context, heap after two steps and an evaluation, MiB]
  const measured: Array<[ModelIR, number, number, number]> = [
    [motPaper, 32, 8, 2994], [motPaper, 32, 16, 3464], [motPaper, 64, 8, 3414], [motPaper, 1, 16, 2884],
    [densePaper, 1, 256, 1130], [densePaper, 4, 256, 2107], [densePaper, 8, 256, 3708],
  ];
  for (const [model, batch, context, heap] of measured) {
    const figure = wasmTrainingBytes(model, params(model), batch, context) / MiB;
    assert.ok(Math.abs(figure / heap - 1) < 0.07, `${model.name} ${batch}×${context}: ${figure.toFixed(0)} MiB against ${heap} measured`);
  }
  // mot_paper at 32 × 32 aborted (past 4 GiB): the figure says so too.
  assert.ok(wasmTrainingBytes(motPaper, params(motPaper), 32, 32) > WASM_HEAP);
  // So did mot_paper at batch 1 × 256: a batch smaller than a mot layer's group (32) is padded to it,
  // and the figure counts the padded rows. The lower bound counts the one group of 1 row that forms
  // (its E mixed tokens a position), which is 2.6 GiB here (it was 1.4 GiB when it assumed full groups).
  assert.equal(formatBytes(trainingMemory(motPaper, params(motPaper), 1, 256).bytes.total), "2.6 GiB");
  assert.ok(wasmTrainingBytes(motPaper, params(motPaper), 1, 256) > WASM_HEAP);
  assert.ok(wasmTrainingBytes(densePaper, params(densePaper), 1, 256) < wasmTrainingBytes(densePaper, params(densePaper), 2, 256));
});

function refusal(model: ModelIR, batch: number, backend: string): string {
  const recipe = { ...model.recipe!, batch };
  try {
    checkTrainingMemory(model, recipe, backend);
  } catch (error) {
    assert.ok(error instanceof UserError && error.code === "MOT505", String(error));
    return error.message;
  }
  return "fits";
}

test("a run wasm cannot hold is refused with the figure, summary's lower bound and the largest batch that fits", () => {
  const lowerBound = (model: ModelIR, batch: number) => formatBytes(trainingMemory(model, params(model), batch, 256).bytes.total);
  const needs = (model: ModelIR, batch: number) => 1.1 * wasmTrainingBytes(model, params(model), batch, 256);
  assert.equal(refusal(densePaper, 256, "wasm"),
    `model 'dense_paper' needs about ${formatBytes(needs(densePaper, 256))} to train at batch 256 × context 256 on tfjs wasm (motc summary's lower bound: ${lowerBound(densePaper, 256)}), ` +
      "more than the 4 GiB a wasm heap can hold; --batch 8 fits, or train with --engine torch");
  assert.equal(lowerBound(densePaper, 256), "31.0 GiB");
  assert.ok(needs(densePaper, 8) <= WASM_HEAP && needs(densePaper, 9) > WASM_HEAP);
  assert.equal(refusal(densePaper, 8, "wasm"), "fits");
  assert.match(refusal(densePaper, 9, "wasm"), /; --batch 8 fits, or train with --engine torch$/);
  // mot_paper's groups of 32 rows pad any batch to 32: nothing fits at its context of 256.
  assert.equal(refusal(motPaper, 256, "wasm"),
    `model 'mot_paper' needs about ${formatBytes(needs(motPaper, 256))} to train at batch 256 × context 256 on tfjs wasm (motc summary's lower bound: 40.9 GiB), ` +
      `more than the 4 GiB a wasm heap can hold; no batch fits at context 256 (batch 1 needs ${formatBytes(needs(motPaper, 1))}): train with --engine torch`);
  // cpu keeps tensors in JavaScript memory: refused when even the lower bound passes the machine's memory.
  assert.equal(refusal(densePaper, 8, "cpu"), "fits");
  const huge = Math.ceil((4 * totalmem()) / trainingMemory(densePaper, params(densePaper), 1, 256).bytes.total);
  assert.match(refusal(densePaper, huge, "cpu"), new RegExp(`more than this machine's ${formatBytes(totalmem()).replace(".", "\\.")} of memory; --batch \\d+ fits, or train with --engine torch$`));
  // Native TensorFlow and WebGPU are not checked.
  assert.equal(refusal(motPaper, 256, "tensorflow"), "fits");
  assert.equal(refusal(motPaper, 256, "webgpu"), "fits");
});

test("motc train specs/mot_paper.mot is refused before reading its data or writing anything", () => {
  const started = performance.now();
  const result = runMotc(["train", paperSpec, "--backend", "wasm"], { cwd: scratch });
  const seconds = (performance.now() - started) / 1000;
  console.log(`motc train specs/mot_paper.mot: refused in ${seconds.toFixed(2)} s`);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^motc: error MOT505: model 'mot_paper' needs about [\d.]+ GiB to train at batch 256 × context 256 on tfjs wasm \(motc summary's lower bound: 40\.9 GiB\), .*: train with --engine torch\n$/);
  // Nothing was written (not the run directory, its lock or the GPT-2 token cache), and the
  // Brown corpus was not tokenized, which alone takes longer than this bound.
  assert.equal(existsSync(join(scratch, "out")), false);
  assert.ok(seconds < 10, `${seconds} s`);
});
