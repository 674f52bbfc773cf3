// Prepares the GPU check (bench/device/run.py) here, where Node runs: the
// PyTorch programs of tiny, tiny_dense, mot_paper and dense_paper, what motc's
// cost model says each costs, and for tiny the float64 reference logits of a
// batch with a leftover MoT group, into bench/device/programs/ (git-ignored),
// which the device run carries. The paper model's 330 MB of initial weights do
// not travel: run.py draws them with torch there, and holds its GPU logits to
// the same machine's CPU.
// Run: npx tsc -p . && node dist/bench/device/prepare.js [--out bench/device/programs]
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkSpec } from "../../src/check/index.js";
import { readText } from "../../src/base/files.js";
import { version } from "../../src/base/version.js";
import { modelCost } from "../../src/ir/cost.js";
import { initialWeights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { lowerToTorch } from "../../src/torch/index.js";
import { writeTorchProgram } from "../../src/train/torch-program.js";
import { referenceLogits } from "../../test/reference/forward.js";
import { randomIds } from "../../test/support/numbers.js";
import { writeDataset } from "../../test/torch/support.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const { values: flags } = parseArgs({ options: { out: { type: "string", default: join(root, "bench/device/programs") } } });
const out = flags.out!;

function models(spec: string): ModelIR[] {
  const path = join(root, spec);
  return checkSpec({ path, text: readText(path) }).models;
}

/** A float64 array as a float32 .npy file (format 1.0). */
function npy(values: Float64Array, shape: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const bytes = new Uint8Array(10 + header.length + values.length * 4);
  bytes.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0, header.length & 0xff, header.length >> 8]);
  bytes.set(new TextEncoder().encode(header), 10);
  new Float32Array(bytes.buffer, 10 + header.length).set(values);
  return bytes;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const config: Record<string, unknown>[] = [];
for (const [spec, small] of [["specs/tiny.mot", true], ["specs/mot_paper.mot", false]] as const) {
  for (const model of models(spec)) {
    const dir = join(out, `${model.name}.torch`);
    if (small) {
      writeTorchProgram(dir, model, initialWeights(model, model.recipe?.seed ?? 0), { recipe: model.recipe, spec });
    } else {
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of lowerToTorch(model, { recipe: model.recipe, spec, version })) writeFileSync(join(dir, name), text);
    }
    const cost = modelCost(model);
    const entry: Record<string, unknown> = {
      name: model.name, program: `${model.name}.torch`, spec, params: cost.params, flopsPerToken: cost.flopsPerToken,
      context: model.context, vocab: model.vocab, recipeBatch: model.recipe?.batch ?? null, weights: small ? "initial" : "torch",
    };
    if (small && model.name === "tiny") {
      // B = 5: groups of 4 leave one row over.
      const ids = randomIds(model.vocab, 5, model.context, 13);
      const weights = initialWeights(model, model.recipe?.seed ?? 0);
      writeFileSync(join(out, "tiny.ids.json"), JSON.stringify(ids));
      writeFileSync(join(out, "tiny.reference.npy"), npy(referenceLogits(model, weights, ids), [5, model.context, model.vocab]));
      entry.reference = { ids: "tiny.ids.json", logits: "tiny.reference.npy" };
    }
    config.push(entry);
  }
}
// A small dataset of English bytes for train.py's own run on the GPU.
const text = new TextEncoder().encode("The jury said it did find that many of Georgia's registration and election laws are outmoded or inadequate. ".repeat(2000));
writeDataset(join(out, "bytes-data"), { train: Array.from(text.subarray(0, 200_000)), val: Array.from(text.subarray(200_000)) });
writeFileSync(join(out, "config.json"), JSON.stringify({ motc: version, models: config }, null, 2) + "\n");
console.log(`${out}: ${config.map((c) => c.name).join(", ")}; run on the GPU machine: python3 bench/device/run.py --programs ${out}`);
