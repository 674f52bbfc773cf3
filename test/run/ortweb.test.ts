// Another runtime: the same .onnx file through onnxruntime-web (the WebAssembly
// build browsers use, run here in Node) gives onnxruntime-node's logits to 1e-4.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as ortWeb from "onnxruntime-web";
import { forward } from "../../src/run/forward.js";
import { openSession } from "../../src/run/session.js";
import { compiledModel } from "./compiled.js";
import { writeToyModel } from "./toy-model.js";

// In Node, `onnxruntime-web` resolves to dist/ort.node.min.mjs, which finds its
// .wasm beside itself (no wasmPaths needed). One thread: worker threads work too,
// but a test on a shared 2-core machine should not start a pool.
ortWeb.env.wasm.numThreads = 1;

async function webLogits(path: string, batch: number[][]): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ortWeb.InferenceSession.create(readFileSync(path), { executionProviders: ["wasm"] });
  const feeds: Record<string, ortWeb.Tensor> = {
    input_ids: new ortWeb.Tensor("int64", BigInt64Array.from(batch.flat().map(BigInt)), [batch.length, batch[0].length]),
  };
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith("past_key_values.") || !meta.isTensor) continue;
    const dims = meta.shape.map((d, axis) => (axis === 0 ? batch.length : axis === 2 ? 0 : d));
    assert.ok(dims.every((d) => typeof d === "number"), `static cache dims for ${meta.name}: ${meta.shape}`);
    feeds[meta.name] = new ortWeb.Tensor("float32", new Float32Array(0), dims as number[]);
  }
  const out = await session.run(feeds);
  await session.release();
  return { dims: out.logits.dims, data: out.logits.data as Float32Array };
}

async function compare(path: string, batch: number[][]): Promise<number> {
  const web = await webLogits(path, batch);
  const node = await forward(await openSession(path, { providers: ["cpu"] }), batch);
  assert.deepEqual([...web.dims], [...node.dims]);
  let worst = 0;
  node.logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - web.data[i]))));
  return worst;
}

test("onnxruntime-web (WASM) gives onnxruntime-node's logits on the hand-built decoder", async () => {
  const worst = await compare(writeToyModel(), [[1, 2, 3, 4, 5], [250, 0, 9, 9, 100]]);
  assert.ok(worst <= 1e-4, `max |difference| ${worst}`);
});

test("onnxruntime-web gives onnxruntime-node's logits on specs/tiny.mot compiled by motc (batch 3, KV-cache form)", async (t) => {
  const compiled = compiledModel("specs/tiny.mot", true);
  if (typeof compiled !== "string") {
    t.diagnostic(`compiled-model check not run: ${compiled.reason}`);
    return;
  }
  const batch = [[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60], [255, 254, 0, 1, 128, 64]];
  const worst = await compare(compiled, batch);
  assert.ok(worst <= 1e-4, `max |difference| ${worst}`);
});
