// Checkpoints that cannot be used, as a user meets them: `motc compile --weights`
// reads one against the spec, `motc train --resume` also needs its training
// state. Each broken checkpoint — not one, of another version, corrupt, of the
// wrong shapes, torn by a crash — ends in its own coded line, exit 1.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkSpec } from "../../src/check/index.js";
import { initialWeights } from "../../src/ir/init.js";
import { MANIFEST, WEIGHTS, checkpointDirectory, writeCheckpoint, type CheckpointManifest } from "../../src/train/checkpoint.js";
import { OPTIMIZER } from "../../src/train/resume.js";
import { repoRoot, runMotc } from "../support/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "motc-checkpoint-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const tinySpec = join(repoRoot, "specs", "tiny.mot");
const tiny = checkSpec({ path: tinySpec, text: readFileSync(tinySpec, "utf8") }).models[0];
const smallSpec = join(repoRoot, "test/fixtures/train/small.mot");
const backend = process.env.MOTC_TEST_BACKEND ?? "wasm";

/** A good checkpoint of tiny, copied to `name` and then broken by `breakIt`. */
function broken(name: string, breakIt: (dir: string) => void): string {
  const dir = join(scratch, name);
  writeCheckpoint(dir, tiny, 3, initialWeights(tiny, 1));
  breakIt(dir);
  return dir;
}

function editManifest(dir: string, edit: (manifest: CheckpointManifest) => void): void {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as CheckpointManifest;
  edit(manifest);
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest));
}

function failsWith(args: string[], line: string | RegExp): void {
  const result = runMotc(args, { timeoutMs: 120_000 });
  assert.equal(result.code, 1, result.stderr);
  if (typeof line === "string") assert.equal(result.stderr, line + "\n");
  else assert.match(result.stderr, line);
}

test("compile --weights: each way a checkpoint can be unusable has its code", () => {
  const compile = (dir: string) => ["compile", tinySpec, "--weights", dir, "--out", join(scratch, "never")];
  const empty = join(scratch, "empty");
  mkdirSync(empty);
  // CONTRACTS 4's reader rule: a directory without checkpoint.json is read as a run directory, through its latest.
  failsWith(compile(empty), `motc: error MOT309: ${empty}: neither a checkpoint (no checkpoint.json) nor a run directory (no latest)`);
  const pointsNowhere = join(scratch, "points-nowhere");
  mkdirSync(join(pointsNowhere, "checkpoint-000005"), { recursive: true });
  writeFileSync(join(pointsNowhere, "latest"), "checkpoint-000005\n");
  failsWith(compile(pointsNowhere), `motc: error MOT301: ${join(pointsNowhere, "checkpoint-000005")}: not a motc checkpoint (no checkpoint.json)`);

  const notJson = broken("not-json", (dir) => writeFileSync(join(dir, MANIFEST), "{ torn"));
  // The reason in parentheses is node's JSON.parse message, which differs between node versions.
  failsWith(compile(notJson), new RegExp(`^motc: error MOT302: ${notJson}/checkpoint\\.json: corrupt checkpoint manifest \\(.*JSON.*\\)\n$`));

  const otherVersion = broken("version-2", (dir) => editManifest(dir, (m) => ((m as { version: number }).version = 2)));
  failsWith(compile(otherVersion), `motc: error MOT303: ${join(otherVersion, MANIFEST)}: not a motc checkpoint of version 1`);

  const noWeights = broken("no-weights", (dir) => unlinkSync(join(dir, WEIGHTS)));
  failsWith(compile(noWeights), `motc: error MOT201: cannot read ${join(noWeights, WEIGHTS)}: no such file or directory`);

  const reshaped = broken("reshaped", (dir) => editManifest(dir, (m) => (m.params[0].shape = [128, 128])));
  failsWith(compile(reshaped), `motc: error MOT305: ${reshaped}: parameter 'embed.token' has shape [128,128] in the checkpoint but [256,64] in the spec`);

  const truncated = broken("truncated", (dir) => truncateSync(join(dir, WEIGHTS), 1000));
  failsWith(compile(truncated), `motc: error MOT306: ${truncated}: parameter 'embed.token' is truncated or not float32`);

  const extra = broken("extra", (dir) => editManifest(dir, (m) => m.params.push({ ...m.params[0], name: "layers.9.ff.w1" })));
  failsWith(compile(extra), `motc: error MOT307: ${extra}: checkpoint has parameter 'layers.9.ff.w1' that model 'tiny' does not have`);
});

test("train --resume: a checkpoint without training state, torn by a crash, or without its optimizer file", () => {
  const data = join(scratch, "data.txt");
  writeFileSync(data, "It was the best of times, it was the worst of times. ".repeat(300));
  const trained = join(scratch, "trained");
  const first = runMotc(["train", smallSpec, "--backend", backend, "--data", data, "--steps", "2", "--out", trained], { timeoutMs: 120_000 });
  assert.equal(first.code, 0, first.stderr);
  const resume = (dir: string) => ["train", smallSpec, "--backend", backend, "--data", data, "--steps", "3", "--out", dir, "--resume"];

  // Weights alone (as compile's tests or transition write them): nothing to continue from.
  const small = checkSpec({ path: smallSpec, text: readFileSync(smallSpec, "utf8") }).models[0];
  const weightsOnly = join(scratch, "weights-only");
  writeCheckpoint(weightsOnly, small, 2, initialWeights(small, 0));
  failsWith(resume(weightsOnly), `motc: error MOT512: ${weightsOnly}: the checkpoint has no training state to resume from`);

  const torn = join(scratch, "torn");
  cpSync(trained, torn, { recursive: true });
  const tornDir = checkpointDirectory(torn);
  const bytes = readFileSync(join(tornDir, WEIGHTS));
  bytes[100] ^= 0xff;
  writeFileSync(join(tornDir, WEIGHTS), bytes);
  failsWith(resume(torn), `motc: error MOT308: ${tornDir}: weights.bin or optimizer.bin does not match checkpoint.json (a checkpoint torn by a crash?)`);

  const noOptimizer = join(scratch, "no-optimizer");
  cpSync(trained, noOptimizer, { recursive: true });
  unlinkSync(join(checkpointDirectory(noOptimizer), OPTIMIZER));
  failsWith(resume(noOptimizer), `motc: error MOT201: cannot read ${join(checkpointDirectory(noOptimizer), OPTIMIZER)}: no such file or directory`);
});
