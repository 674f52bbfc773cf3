// Every value of a compiled graph has a shape onnxruntime can plan with
// (GraphBuilder.shaped): after ONNX shape inference, each dimension is a number
// or one of the graph's symbolic names — except the rows a MoE expert takes,
// which depend on the data. The names are consistent: running batches and
// lengths of every size, onnxruntime never finds a planned buffer of the wrong
// size. And so opening a model no longer takes time quadratic in its depth
// (issue 11, item 13: a 1,000-sublayer model took minutes).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import * as ort from "onnxruntime-node";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import type { ModelIR } from "../../src/ir/model.js";
import { lowerToOnnx } from "../../src/onnx/index.js";

const scratch = mkdtempSync(join(tmpdir(), "motc-shapes-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Every sublayer kind and form the lowering has; `decoder` is causal throughout, for the KV cache. */
const SPEC = `
model every {
  vocab = 64
  context = 16
  d_model = 16
  embed(position = learned)
  attention(heads = 2)
  attention(heads = 4, causal = false, bias = false)
  mot(experts = 4, group = 2)
  mot(experts = 6, group = 3, temp = learnable)
  moe(experts = 4, topk = 2)
  moe(experts = 4, routing = expert_choice, group = 2)
  moe(experts = 4, routing = expert_choice, group = 3, capacity = 2)
  ff()
  glu()
  head()
}
model decoder {
  vocab = 64
  context = 16
  d_model = 16
  norm = rmsnorm
  embed(position = sinusoidal)
  attention(heads = 2)
  mot(experts = 4, group = 2)
  moe(experts = 4, routing = expert_choice, group = 2)
  attention(heads = 4)
  moe(experts = 4, topk = 1)
  head(tied = false)
}
`;

function models(): Map<string, ModelIR> {
  const result = checkSpec({ path: "every.mot", text: SPEC });
  assert.deepEqual(result.diagnostics, []);
  return new Map(result.models.map((m) => [m.name, m]));
}

/** The compiled variants: name → .onnx path. */
function compileVariants(): Map<string, string> {
  const { every, decoder } = Object.fromEntries(models()) as Record<string, ModelIR>;
  const variants: [string, ModelIR, Parameters<typeof lowerToOnnx>[2]][] = [
    ["every", every, {}],
    ["every-group1", every, { noMix: "group1" }],
    ["every-hard", every, { noMix: "hard" }],
    ["decoder", decoder, {}],
    ["decoder-kv", decoder, { kvCache: true }],
    ["decoder-kv-fp16", decoder, { kvCache: true, fp16: true }],
  ];
  const paths = new Map<string, string>();
  for (const [name, model, options] of variants) {
    const path = join(scratch, `${name}.onnx`);
    writeFileSync(path, lowerToOnnx(model, initialWeights(model, 1), options));
    paths.set(name, path);
  }
  return paths;
}

const paths = compileVariants();

test("after ONNX shape inference every value has a known shape, but the rows a MoE expert takes (python3-onnx)", (t) => {
  const probe = spawnSync("/usr/bin/python3", ["-c", "import onnx"], { encoding: "utf8" });
  if (probe.status !== 0) return t.skip("/usr/bin/python3 cannot import onnx");
  // Prints each value whose shape is missing or has a dimension without a number or name, and its node.
  const script = [
    "import sys, onnx",
    "for path in sys.argv[1:]:",
    "    model = onnx.shape_inference.infer_shapes(onnx.load(path), strict_mode=True)",
    "    graph = model.graph",
    "    known = {v.name: v for v in list(graph.value_info) + list(graph.input) + list(graph.output)}",
    "    for node in graph.node:",
    "        for out in node.output:",
    "            v = known.get(out)",
    "            t = v.type.tensor_type if v is not None else None",
    "            ok = t is not None and t.HasField('shape') and all(d.HasField('dim_value') or (d.HasField('dim_param') and not d.dim_param.startswith('unk__')) for d in t.shape.dim)",
    "            if not ok: print(path.split('/')[-1], node.op_type, out)",
  ].join("\n");
  const result = spawnSync("/usr/bin/python3", ["-c", script, ...paths.values()], { encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  const unknown = result.stdout.trim().split("\n").filter(Boolean);
  // The only unknowns: the Compress that picks an expert's rows, and what follows from them inside the expert.
  const expected = (line: string) => / Compress /.test(line) || /\.moe\.expert\d+\//.test(line);
  assert.deepEqual(unknown.filter((line) => !expected(line)), []);
  assert.ok(unknown.some((line) => / Compress /.test(line)), "the MoE layers are there");
});

test("batches and lengths of every size run without a buffer planned for another size", () => {
  // onnxruntime logs (at warning level, to stderr) a planned buffer whose size a symbolic name got wrong,
  // and fails when it is too small; run in a child so its native log can be read.
  const script = `
    const ort = require(${JSON.stringify(createRequire(import.meta.url).resolve("onnxruntime-node"))});
    (async () => {
      for (const path of process.argv.slice(1)) {
        const session = await ort.InferenceSession.create(path, { logSeverityLevel: 1, executionProviders: ["cpu"] });
        const kv = session.inputNames.filter((name) => name.startsWith("past_key_values."));
        for (const [batch, length, past] of [[1, 1, 0], [3, 7, 0], [2, 5, 0], [5, 16, 0], [4, 3, 2], [1, 2, 5]]) {
          if (past > 0 && kv.length === 0) continue;
          const ids = new ort.Tensor("int64", BigInt64Array.from({ length: batch * length }, (_, i) => BigInt((i * 7) % 64)), [batch, length]);
          const feeds = { input_ids: ids };
          for (const name of kv) {
            const meta = session.inputMetadata.find((m) => m.name === name);
            feeds[name] = new ort.Tensor("float32", new Float32Array(batch * meta.shape[1] * past * meta.shape[3]).fill(0.1), [batch, meta.shape[1], past, meta.shape[3]]);
          }
          const out = await session.run(feeds);
          if (!out.logits.data.every(Number.isFinite)) throw new Error(path + ": non-finite logits");
        }
      }
      console.log("ran");
    })().catch((error) => { console.error(error.message); process.exit(1); });`;
  const result = spawnSync(process.execPath, ["-e", script, ...paths.values()], { encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "ran\n");
  assert.doesNotMatch(result.stderr, /Shape mismatch/);
});

test("opening a model no longer takes time quadratic in its depth: 8× the sublayers, well under 64× the time", async (t) => {
  const spec = (blocks: number) =>
    `model deep {\n  vocab = 64\n  context = 16\n  d_model = 16\n  embed\n  repeat ${blocks} {\n    attention(heads = 2)\n    mot(experts = 4, group = 2)\n  }\n  head\n}\n`;
  // CPU time of the whole process around the open (onnxruntime's threads included), steadier than wall time on a busy machine.
  const openCost = async (blocks: number, repeats: number) => {
    const path = join(scratch, `deep${blocks}.onnx`);
    const [model] = checkSpec({ path, text: spec(blocks) }).models;
    writeFileSync(path, lowerToOnnx(model, initialWeights(model, 0)));
    let best = Infinity;
    for (let n = 0; n < repeats; n++) {
      const before = process.cpuUsage();
      const session = await ort.InferenceSession.create(path, { logSeverityLevel: 3, executionProviders: ["cpu"], intraOpNumThreads: 1 });
      const used = process.cpuUsage(before);
      await session.release();
      best = Math.min(best, (used.user + used.system) / 1e6);
    }
    return best;
  };
  await openCost(5, 1); // warm-up
  const small = await openCost(25, 3);
  const large = await openCost(200, 2);
  // Before the shapes were declared this ratio was ~70 (time grew with the square of the depth); now
  // 14–24 on the development machine, onnxruntime's own setup growing a little faster than the nodes.
  t.diagnostic(`50 sublayers: ${small.toFixed(2)} s of CPU, 400: ${large.toFixed(2)} s (${(large / small).toFixed(1)}×)`);
  assert.ok(large / small < 40, `50 sublayers: ${small.toFixed(2)} s, 400: ${large.toFixed(2)} s (${(large / small).toFixed(1)}×)`);
});
