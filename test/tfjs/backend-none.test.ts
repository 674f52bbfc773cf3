// A machine where no tfjs backend starts: `--backend auto` tries each, says why
// each failed, and ends with MOT541 naming every reason. Here every backend is
// broken on purpose: a factory that throws is registered under each name first,
// so tfjs keeps it when the real backend package registers itself (a separate
// test file, so that this process's broken registry harms no other test).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../../src/tfjs/backend.js";

test("auto with no backend that starts: one line per backend, then MOT541 with every reason", async () => {
  const warn = console.warn;
  console.warn = () => {}; // tfjs warns that each real backend finds its name taken, and that it failed to start
  try {
    for (const name of ["webgpu", "wasm", "cpu"]) {
      tf.registerBackend(name, () => {
        throw new Error(`${name} is broken in this test`);
      });
    }
    const lines: string[] = [];
    await assert.rejects(selectBackend("auto", (line) => lines.push(line)), (error: Error & { code?: string }) => {
      assert.equal(error.code, "MOT541");
      assert.match(error.message, /^no tfjs backend could start \(tensorflow: .*@tensorflow\/tfjs-node.*; webgpu: .+; wasm: .+; cpu: cpu failed to initialise\)$/);
      return true;
    });
    assert.deepEqual(lines.map((line) => line.replace(/unavailable: .*; trying/, "unavailable: …; trying")), [
      "tfjs backend tensorflow unavailable: …; trying the next",
      "tfjs backend webgpu unavailable: …; trying the next",
      "tfjs backend wasm unavailable: …; trying the next",
      "tfjs backend cpu unavailable: …; trying the next",
    ]);
  } finally {
    console.warn = warn;
  }
});
