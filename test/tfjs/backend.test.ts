// Backend selection: `auto` falls back past the backends this machine lacks with
// one line each and never crashes; explicit choices that cannot start fail with a
// clear error. (motc's wasm kernels are tested in wasm/.)
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { selectBackend } from "../../src/tfjs/index.js";

const hasVulkan = ["/usr/lib/x86_64-linux-gnu/libvulkan.so.1", "/usr/lib64/libvulkan.so.1", "/usr/lib/libvulkan.so.1"].some(existsSync);

test("auto: one line per backend that cannot start, then the one that runs", async () => {
  const lines: string[] = [];
  const { tf, name } = await selectBackend("auto", (line) => lines.push(line));
  assert.equal(tf.getBackend(), name);
  const last = lines.at(-1)!;
  assert.match(last, new RegExp(`^tfjs backend: ${name}( \\(|$)`));
  const fallbacks = lines.slice(0, -1);
  assert.match(fallbacks[0], /^tfjs backend tensorflow unavailable: .*@tensorflow\/tfjs-node.*; trying the next$/);
  if (!hasVulkan) {
    // This machine: no tfjs-node, no GPU → wasm, after exactly two fallbacks.
    assert.equal(name, "wasm");
    assert.equal(fallbacks.length, 2, lines.join("\n"));
    assert.match(fallbacks[1], /^tfjs backend webgpu unavailable: .+; trying the next$/);
    assert.match(last, /^tfjs backend: wasm \(SIMD, 1 thread; motc SIMD matmul on\)$/);
  } else {
    assert.ok(name === "webgpu" || name === "wasm", lines.join("\n"));
  }
});

test("explicit backends that cannot start reject with the reason; cpu and wasm start", async () => {
  await assert.rejects(selectBackend("tensorflow", () => {}), /^Error: tfjs backend tensorflow: .*not installed.*\(--backend auto takes the first that starts\)$/);
  await assert.rejects(selectBackend("tensorflow", () => {}), { code: "MOT540" });
  if (!hasVulkan) await assert.rejects(selectBackend("webgpu", () => {}), /^Error: tfjs backend webgpu: no Vulkan loader/);
  const lines: string[] = [];
  assert.equal((await selectBackend("cpu", (line) => lines.push(line))).name, "cpu");
  assert.equal((await selectBackend("wasm", (line) => lines.push(line))).name, "wasm");
  assert.deepEqual(lines, ["tfjs backend: cpu (plain JavaScript, slow)", "tfjs backend: wasm (SIMD, 1 thread; motc SIMD matmul on)"]);
});
