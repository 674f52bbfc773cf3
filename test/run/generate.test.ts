// Generation: seeded sampling is reproducible, and greedy decoding through the
// KV cache picks exactly the tokens that re-running the whole sequence picks.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { forward } from "../../src/run/forward.js";
import { argmax, generate, Sampler } from "../../src/run/generate.js";
import { openSession } from "../../src/run/session.js";
import { runMotc } from "../support/cli.js";
import { compiledModel } from "./compiled.js";
import { buildToyModel, writeToyModel } from "./toy-model.js";

const model = writeToyModel({ context: 40 });
const plain = join(dirname(model), "plain.onnx");
writeFileSync(plain, buildToyModel({ kvCache: false, context: 40 }));
const prompt = Array.from(new TextEncoder().encode("The cat"));

/** Greedy tokens by re-running the whole sequence each step (no cache reuse), with each step's top-1/top-2 margin. */
async function greedyFull(path: string, start: number[], count: number): Promise<{ ids: number[]; margins: number[] }> {
  const run = await openSession(path, { providers: ["cpu"] });
  const sequence = [...start];
  const margins: number[] = [];
  for (let step = 0; step < count; step++) {
    const full = await forward(run, [sequence]);
    const vocab = full.dims[2];
    const last = full.logits.subarray((sequence.length - 1) * vocab, sequence.length * vocab);
    const next = argmax(last);
    margins.push(last[next] - Math.max(...Array.from(last).filter((_, i) => i !== next)));
    sequence.push(next);
  }
  return { ids: sequence.slice(start.length), margins };
}

/**
 * The cached ids must equal the full re-run's. A float32 near-tie (top-2 margin
 * under 1e-5, where 1e-6 rounding differences may pick either) ends the
 * comparison there, with a printed note, since the sequences may then differ.
 */
function assertSameGreedy(cached: number[], full: { ids: number[]; margins: number[] }, note: (line: string) => void): void {
  const tie = full.margins.findIndex((m) => m < 1e-5);
  const compared = tie < 0 ? full.ids.length : tie;
  if (tie >= 0) note(`near-tie at step ${tie} (margin ${full.margins[tie].toExponential(1)}): compared the first ${compared} tokens`);
  assert.ok(compared >= 10, `too few comparable steps (${compared})`);
  assert.deepEqual(cached.slice(0, compared), full.ids.slice(0, compared));
}

test("greedy generation of specs/tiny.mot compiled with --kv-cache equals greedy full re-runs", async (t) => {
  const compiled = compiledModel("specs/tiny.mot", true);
  if (typeof compiled !== "string") {
    t.diagnostic(`compiled-model check not run: ${compiled.reason}`);
    return;
  }
  const run = await openSession(compiled, { providers: ["cpu"] });
  const cached = await generate(run, prompt, { maxTokens: 30, temperature: 0, topK: 0, seed: 0 });
  assert.equal(cached.ids.length, 30);
  assertSameGreedy(cached.ids, await greedyFull(compiled, prompt, 30), (line) => t.diagnostic(line));
});

test("greedy decoding of the hand-built decoder with the KV cache equals greedy re-running of the full sequence", async () => {
  const run = await openSession(model, { providers: ["cpu"] });
  const cached = await generate(run, prompt, { maxTokens: 20, temperature: 0, topK: 0, seed: 0 });
  const full = await greedyFull(model, prompt, 20);
  assert.ok(full.margins.every((m) => m > 1e-3), "the toy model has clear winners at every step");
  assert.deepEqual(cached.ids, full.ids);
  assert.ok(new Set(cached.ids).size > 1, "the toy model should not emit a single repeated token");

  // The logits agree too: the last position, full sequence vs prefill + one-token steps.
  const sequence = [...prompt, ...cached.ids.slice(0, -1)];
  const whole = await forward(run, [sequence]);
  const vocab = whole.dims[2];
  let step = await forward(run, [prompt]);
  for (const id of sequence.slice(prompt.length)) step = await forward(run, [[id]], step.present);
  const expected = whole.logits.subarray((sequence.length - 1) * vocab);
  const actual = step.logits.subarray(step.logits.length - vocab);
  let worst = 0;
  expected.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - actual[i]))));
  assert.ok(worst < 1e-4, `cached vs full logits differ by ${worst}`);
});

test("the same seed gives the same tokens; another seed gives others", async () => {
  const run = await openSession(model, { providers: ["cpu"] });
  const options = { maxTokens: 24, temperature: 1.5, topK: 50 };
  const a = await generate(run, prompt, { ...options, seed: 7 });
  const b = await generate(run, prompt, { ...options, seed: 7 });
  const c = await generate(run, prompt, { ...options, seed: 8 });
  assert.deepEqual(a.ids, b.ids);
  assert.notDeepEqual(a.ids, c.ids);
});

test("motc generate streams the same text for the same seed and stops at the context", () => {
  const args = ["generate", model, "--prompt", "Hi", "--seed", "3", "--temperature", "0.8", "--ep", "cpu"];
  const first = runMotc([...args, "--max-tokens", "10"]);
  const second = runMotc([...args, "--max-tokens", "10"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, second.stdout);
  assert.ok(first.stdout.length > 1);
  assert.match(first.stderr, /^motc: 10 tokens on cpu in [\d.]+ s \([\d.]+ tokens\/s\); stopped at --max-tokens 10\n$/);
  // 2 prompt tokens + 38 new fill the context of 40.
  const long = runMotc([...args, "--max-tokens", "100"]);
  assert.equal(long.code, 0, long.stderr);
  assert.match(long.stderr, /^motc: 38 tokens on cpu .*; stopped: the model's context of 40 tokens is full\n$/);
});

test("a foreign ONNX model (no motc metadata) is refused as such, not as \"vocab 0\" (issue 11, item 23)", () => {
  // The decoder form, KV cache and all, but without motc's metadata_props.
  const foreign = join(dirname(model), "foreign.onnx");
  writeFileSync(foreign, buildToyModel({ context: 40, metadata: false }));
  const result = runMotc(["generate", foreign, "--prompt", "Hi", "--ep", "cpu"]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `motc: error MOT426: ${foreign}: not a model compiled by motc (it has no motc.* metadata); generate runs the output of 'motc compile --kv-cache'\n`);
  assert.equal(result.stdout, "");
});

test("motc generate refuses a model without a KV cache, an empty prompt and bad sampling flags", () => {
  const plainRun = runMotc(["generate", plain, "--prompt", "Hi", "--ep", "cpu"]);
  assert.equal(plainRun.code, 1);
  assert.equal(plainRun.stderr, `motc: error MOT440: ${plain}: generate needs a model compiled with --kv-cache (this one has no past_key_values inputs); run 'motc compile SPEC --kv-cache'\n`);
  const empty = runMotc(["generate", model, "--prompt", "", "--ep", "cpu"]);
  assert.equal(empty.code, 2);
  assert.equal(empty.stderr, "motc: error MOT441: empty prompt: --prompt needs some text\n");
  const temperature = runMotc(["generate", model, "--prompt", "a", "--temperature", "-1", "--ep", "cpu"]);
  assert.equal(temperature.code, 2);
  assert.equal(temperature.stderr, "motc: error MOT220: --temperature must be >= 0, got '-1'\n");
  const topK = runMotc(["generate", model, "--prompt", "a", "--top-k", "2.5", "--ep", "cpu"]);
  assert.equal(topK.code, 2);
  assert.equal(topK.stderr, "motc: error MOT220: --top-k must be a whole number >= 0, got '2.5'\n");
  const tooLong = runMotc(["generate", model, "--prompt", "x".repeat(41), "--ep", "cpu"]);
  assert.equal(tooLong.code, 1);
  assert.equal(tooLong.stderr, "motc: error MOT443: the prompt is 41 tokens, longer than the model's context of 40\n");
  const seed = runMotc(["generate", model, "--prompt", "a", "--seed", "1.5", "--ep", "cpu"]);
  assert.equal(seed.code, 2);
  assert.equal(seed.stderr, "motc: error MOT220: --seed must be a whole number, got '1.5'\n");
  const notANumber = runMotc(["generate", model, "--prompt", "a", "--temperature", "warm", "--ep", "cpu"]);
  assert.equal(notANumber.code, 2);
  assert.equal(notANumber.stderr, "motc: error MOT220: --temperature must be a number, got 'warm'\n");
  const noPrompt = runMotc(["generate", model, "--ep", "cpu"]);
  assert.equal(noPrompt.code, 2);
  assert.equal(noPrompt.stderr, "motc: error MOT213: required option '--prompt <text>' not given\n(run 'motc --help' for usage)\n");
});

test("the library refuses what the CLI checks first: no sequences, an empty prompt, a past for a model without a cache, bad sampler options", async () => {
  const run = await openSession(model, { providers: ["cpu"] });
  await assert.rejects(forward(run, []), { code: "MOT434", message: "no sequences to run" });
  await assert.rejects(generate(run, [], { maxTokens: 1, temperature: 0, topK: 0, seed: 0 }), { code: "MOT442", message: "empty prompt: give at least one token of text" });
  const plainRun = await openSession(plain, { providers: ["cpu"] });
  const past = (await forward(run, [[1]])).present!;
  await assert.rejects(forward(plainRun, [[2]], past), { code: "MOT423", message: `${plain}: this model has no KV cache inputs; compile it with --kv-cache` });
  assert.throws(() => new Sampler({ temperature: -1, topK: 0, seed: 0 }), { code: "MOT220", message: "temperature must be >= 0, got '-1'" });
  assert.throws(() => new Sampler({ temperature: 1, topK: 1.5, seed: 0 }), { code: "MOT220", message: "top-k must be a whole number >= 0, got '1.5'" });
});

test("the sampler draws tokens with softmax(logits / T) frequencies, top-k cuts the tail", () => {
  const logits = Float32Array.of(1, 0, 2, -1, 0.5);
  const temperature = 0.7;
  const weights = Array.from(logits, (v) => Math.exp(v / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  const sampler = new Sampler({ temperature, topK: 0, seed: 11 });
  const counts = new Array<number>(logits.length).fill(0);
  const draws = 20000;
  for (let i = 0; i < draws; i++) counts[sampler.pick(logits)]++;
  counts.forEach((count, id) => assert.ok(Math.abs(count / draws - weights[id] / total) < 0.015, `token ${id}: ${count / draws} vs ${weights[id] / total}`));
  const topTwo = new Sampler({ temperature, topK: 2, seed: 11 });
  const seen = new Set(Array.from({ length: 500 }, () => topTwo.pick(logits)));
  assert.deepEqual([...seen].sort(), [0, 2]);
  assert.equal(new Sampler({ temperature: 0, topK: 0, seed: 0 }).pick(logits), 2);
});
