// Random.index, the draw behind every training batch (CONTRACTS.md section 2):
// pinned against an independent implementation of the contract in Python
// (plain integers masked to 32 bits, float division and floor), so the PyTorch
// engine, which pins the same numbers, draws the same windows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../../src/ir/random.js";

test("Random(0, 'data.batch.1'): the first words of xoshiro128** and index(10^6)", () => {
  const words = new Random(0, "data.batch.1");
  assert.deepEqual([0, 1, 2, 3].map(() => words.nextUint32()), [3921827937, 4071141255, 3992719426, 1861353028]);
  const random = new Random(0, "data.batch.1");
  assert.deepEqual(Array.from({ length: 8 }, () => random.index(1_000_000)), [913121, 929627, 1857, 819464, 888862, 992528, 222441, 466997]);
});

test("index(n) up to 2^53, and small n, continue the same stream", () => {
  const random = new Random(1234, "data.batch.7");
  assert.deepEqual([0, 1, 2].map(() => random.index(2 ** 53)), [7998529683728370, 254069790606993, 3058537983946087]);
  assert.deepEqual([0, 1, 2, 3, 4].map(() => random.index(10)), [8, 2, 0, 4, 8]);
  const other = new Random(42, "data.batch.3");
  assert.deepEqual([0, 1, 2, 3].map(() => other.index(123456789)), [101966439, 49070104, 55765820, 55655054]);
});

test("index(n) stays in [0, n) and covers it evenly", () => {
  const random = new Random(5, "spread");
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 70_000; i++) counts[random.index(7)]++;
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 400, `${counts}`);
});
