// The CLI's output edge (src/cli/io.ts): a reader that goes away early
// (`| head`) ends motc quietly with status 0, never an EPIPE stack trace; and
// `run --json` streams logits too large for one string.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import * as ort from "onnxruntime-node";
import { motcBin, repoRoot, runMotc } from "../support/cli.js";
import { writeToyModel } from "../run/toy-model.js";

const scratch = mkdtempSync(join(tmpdir(), "motc-io-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs motc with its stdout read by `consume`, which may close the pipe, as `head` does. */
function pipeline(
  args: string[],
  consume: (stdout: NodeJS.ReadableStream, close: () => void) => void,
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [motcBin, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    consume(child.stdout, () => child.stdout.destroy());
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** `motc ARGS | head -c 1`. */
const headOneByte = (args: string[]) => pipeline(args, (stdout, close) => stdout.once("data", close));

test("generate | head -c 1: exit 0, nothing on stderr (issue 11, item 10)", async () => {
  const model = writeToyModel({ context: 400 });
  const result = await headOneByte(["generate", model, "--prompt", "The", "--max-tokens", "300", "--ep", "cpu"]);
  assert.deepEqual(result, { code: 0, signal: null, stderr: "" });
});

test("explain --json of a 9,998-sublayer model | head: exit 0, nothing on stderr", async () => {
  const spec = join(scratch, "big.mot");
  writeFileSync(spec, "model big {\n  vocab = 64\n  context = 16\n  d_model = 16\n  embed\n  repeat 4999 {\n    attention(heads = 2)\n    ff()\n  }\n  head\n}\n");
  const result = await headOneByte(["explain", "--json", spec]);
  assert.deepEqual(result, { code: 0, signal: null, stderr: "" });
  // Read whole, the same output parses and lists every sublayer.
  let whole = "";
  const read = await pipeline(["explain", "--json", spec], (stdout) => stdout.on("data", (chunk: Buffer) => (whole += chunk.toString())));
  assert.deepEqual([read.code, read.stderr], [0, ""]);
  assert.equal((JSON.parse(whole) as { models: { sublayers: unknown[] }[] }).models[0].sublayers.length, 9998);
});

test("run --json streams the logits: 2 × 32 × 50,257 of them in a 40 MB JavaScript heap (issue 11, item 9)", async () => {
  // The paper model's 4 × 256 × 50,257 logits made a ~600 MB string ("Invalid string length"). Here the
  // heap is capped instead: holding them as one string (~65 MB) or as a JS array (~26 MB) does not fit.
  const spec = join(scratch, "wide.mot");
  writeFileSync(spec, "model wide {\n  vocab = 50257\n  context = 256\n  d_model = 8\n  embed\n  ff\n  head\n}\n");
  const compiled = runMotc(["compile", spec, "--out", scratch]);
  assert.equal(compiled.code, 0, compiled.stderr);
  const model = join(scratch, "wide.onnx");
  const [sequences, length, vocab] = [2, 32, 50257];
  const batch = Array.from({ length: sequences }, (_, b) => Array.from({ length }, (_, t) => (b * 7919 + t * 104729) % vocab));
  // Only the head, the tail and the count of numbers are kept: the test does not hold it all either.
  let head = "";
  let tail = "";
  let commas = 0;
  const result = await pipeline(["run", model, "--ids", JSON.stringify(batch), "--ep", "cpu", "--json"], (stdout) => {
    stdout.on("data", (chunk: Buffer) => {
      for (let i = chunk.indexOf(44); i >= 0; i = chunk.indexOf(44, i + 1)) commas++;
      if (head.length < 4096) head += chunk.subarray(0, 4096).toString();
      tail = (tail + chunk.subarray(Math.max(0, chunk.length - 4096)).toString()).slice(-4096);
    });
  }, { NODE_OPTIONS: "--max-old-space-size=40" });
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  const count = sequences * length * vocab;
  const prefix = `{"model":"wide","provider":"cpu","shape":[${sequences},${length},${vocab}],"logits":[`;
  assert.ok(head.startsWith(prefix), head.slice(0, 100));
  assert.ok(tail.endsWith("]}\n"));
  assert.equal(commas, 3 + 2 + (count - 1), "one comma per separator: 3 between the keys, 2 in the shape, count - 1 between logits");
  // The first and last values equal a direct onnxruntime session's, printed as JSON.stringify prints them.
  const session = await ort.InferenceSession.create(model);
  const ids = new ort.Tensor("int64", BigInt64Array.from(batch.flat().map(BigInt)), [sequences, length]);
  const direct = (await session.run({ input_ids: ids })).logits.data as Float32Array;
  assert.deepEqual(head.slice(prefix.length).split(",").slice(0, 100).map(Number), Array.from(direct.subarray(0, 100)));
  assert.deepEqual(tail.slice(0, -3).split(",").slice(-100).map(Number), Array.from(direct.subarray(count - 100)));
});
