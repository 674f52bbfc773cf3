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
// Text --data is prepared into the dataset cache: this test's own, not the user's.
process.env.XDG_CACHE_HOME = join(scratch, "cache");
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

test("every field of checkpoint.json a reader uses is checked: the file and the field are named", () => {
  const compile = (dir: string) => ["compile", tinySpec, "--weights", dir, "--out", join(scratch, "never")];
  const field = (name: string, edit: (manifest: Record<string, unknown> & CheckpointManifest) => void, message: string) => {
    const dir = broken(name, (d) => editManifest(d, edit as (m: CheckpointManifest) => void));
    failsWith(compile(dir), `motc: error MOT330: ${join(dir, MANIFEST)}: ${message}`);
  };
  const nullManifest = broken("null", (dir) => writeFileSync(join(dir, MANIFEST), "null"));
  failsWith(compile(nullManifest), `motc: error MOT303: ${join(nullManifest, MANIFEST)}: not a motc checkpoint of version 1`);
  field("null-param", (m) => ((m.params as unknown[])[3] = null), "params[3]: must be an object, got null");
  field("shape-string", (m) => ((m.params[0] as { shape: unknown }).shape = "256,64"), 'params[0].shape: must be an array, got "256,64"');
  field("shape-zero", (m) => (m.params[0].shape = [256, 0]), "params[0].shape[1]: must be a positive integer, got 0");
  field("negative-offset", (m) => (m.params[3].offset = -8), "params[3].offset: must be a non-negative integer, got -8");
  field("length", (m) => (m.params[1].length = 4), "params[1].length: must be 4 × the product of shape [64,64] (16384), got 4");
  field("twice", (m) => (m.params[2].name = m.params[1].name), 'params[2].name: must be a name no other parameter has, got "embed.position"');
  field("dtype", (m) => ((m.params[0] as { dtype: string }).dtype = "float16"), 'params[0].dtype: must be "float32", got "float16"');
  for (const [step, shown] of [[-5, "-5"], ["x", '"x"'], [12.5, "12.5"], [null, "null"], [undefined, "nothing"]] as const) {
    field(`step-${shown}`, (m) => ((m as { step: unknown }).step = step), `step: must be a non-negative integer, got ${shown}`);
  }
  // An offset past the end of weights.bin.
  const past = broken("past-the-end", (dir) => editManifest(dir, (m) => (m.params[5].offset = 1e9)));
  failsWith(compile(past), `motc: error MOT306: ${past}: parameter '${readManifestOf(past).params[5].name}' is truncated or not float32`);
});

function readManifestOf(dir: string): CheckpointManifest {
  return JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as CheckpointManifest;
}

/** small.mot trained for 4 steps into a run directory (its checkpoint records the fingerprint and hashes). */
let smallRun: string | undefined;
function trainedSmall(): string {
  if (smallRun) return smallRun;
  const data = join(scratch, "small-data.txt");
  writeFileSync(data, "It was the best of times, it was the worst of times. ".repeat(300));
  smallRun = join(scratch, "small-run");
  const result = runMotc(["train", smallSpec, "--backend", backend, "--data", data, "--steps", "4", "--checkpoint-every", "4", "--out", smallRun], { timeoutMs: 120_000 });
  assert.equal(result.code, 0, result.stderr);
  return smallRun;
}

test("compile --weights, transition and --resume-from refuse another model of the same names and shapes, a changed or NaN weights.bin; --force uses them", () => {
  const run = trainedSmall();
  const dir = checkpointDirectory(run);
  const small = readFileSync(smallSpec, "utf8");
  // Three definitions whose parameter tables are exactly small's.
  const variants = {
    heads: small.replace("attention(heads = 2)", "attention(heads = 1)"),
    causal: small.replace("attention(heads = 2)", "attention(heads = 2, causal = false)"),
    gelu: small.replace("temp = learnable)", "temp = learnable, activation = gelu)"),
  };
  for (const [name, text] of Object.entries(variants)) {
    const spec = join(scratch, `small-${name}.mot`);
    writeFileSync(spec, text);
    const refused = `motc: error MOT332: ${dir}: the checkpoint was trained for a different definition of model 'small' than this spec's 'small' (its layers or sizes differ); pass --force to use its weights anyway`;
    failsWith(["compile", spec, "--weights", run, "--out", join(scratch, "never")], refused);
    failsWith(["transition", spec, "--weights", run, "--out", join(scratch, "never")], refused);
    failsWith(["train", spec, "--resume-from", run, "--out", join(scratch, "never")], refused);
    const forced = runMotc(["compile", spec, "--weights", run, "--out", join(scratch, `forced-${name}`), "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stderr, `note: --force: using the weights of ${dir}, trained for another definition of 'small'\n`);
  }
  // The same spec reads it without a word.
  const same = runMotc(["compile", smallSpec, "--weights", run, "--out", join(scratch, "same")]);
  assert.deepEqual([same.code, same.stderr], [0, ""]);

  // One flipped bit of weights.bin: its sha256 no longer matches.
  const flipped = join(scratch, "flipped");
  cpSync(run, flipped, { recursive: true });
  const flippedDir = checkpointDirectory(flipped);
  const bytes = readFileSync(join(flippedDir, WEIGHTS));
  bytes[1000] ^= 0x01;
  writeFileSync(join(flippedDir, WEIGHTS), bytes);
  failsWith(["compile", smallSpec, "--weights", flipped, "--out", join(scratch, "never")],
    `motc: error MOT333: ${flippedDir}: weights.bin does not match the sha256 recorded in checkpoint.json (corrupt, or replaced); pass --force to use it anyway`);
  failsWith(["transition", smallSpec, "--weights", flipped, "--out", join(scratch, "never")], /^motc: error MOT333: /);
  const forced = runMotc(["transition", smallSpec, "--weights", flipped, "--out", join(scratch, "flipped-twin"), "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.stderr, `note: --force: using ${join(flippedDir, WEIGHTS)}, which does not match the sha256 in checkpoint.json\n`);

  // NaN in a checkpoint that records no hash (written by compile's tests, or transition).
  const nan = broken("nan", (d) => {
    const values = readFileSync(join(d, WEIGHTS));
    values.writeFloatLE(NaN, 4 * 7);
    writeFileSync(join(d, WEIGHTS), values);
  });
  failsWith(["compile", tinySpec, "--weights", nan, "--out", join(scratch, "never")], `motc: error MOT334: ${nan}: parameter 'embed.token' holds NaN (at index 7); pass --force to use it anyway`);
  assert.equal(runMotc(["compile", tinySpec, "--weights", nan, "--out", join(scratch, "nan-out"), "--force"]).code, 0);
  // --force never skips the shapes.
  const reshaped = broken("reshaped-forced", (d) => editManifest(d, (m) => (m.params[0].shape = [128, 128])));
  failsWith(["compile", tinySpec, "--weights", reshaped, "--out", join(scratch, "never"), "--force"], /^motc: error MOT305: /);
});

test("train --resume: every trainer field is checked, the step lies within the run, and the curve's recipe must not change without --force", () => {
  const run = trainedSmall();
  const data = join(scratch, "small-data.txt");
  const resume = (dir: string, ...extra: string[]) => ["train", smallSpec, "--backend", backend, "--data", data, "--steps", "6", "--out", dir, "--resume", ...extra];
  /** A copy of the run with checkpoint.json's fields at `changes` (dotted paths) set, or removed for undefined. */
  const copy = (name: string, changes: Record<string, unknown> = {}): string => {
    const dir = join(scratch, name);
    cpSync(run, dir, { recursive: true });
    editManifest(checkpointDirectory(dir), (manifest) => {
      for (const [path, value] of Object.entries(changes)) {
        const keys = path.split(".");
        const parent = keys.slice(0, -1).reduce((object: Record<string, unknown>, key) => object[key] as Record<string, unknown>, manifest as unknown as Record<string, unknown>);
        if (value === undefined) delete parent[keys[keys.length - 1]];
        else parent[keys[keys.length - 1]] = value;
      }
    });
    return dir;
  };
  const field = (name: string, changes: Record<string, unknown>, message: string) => {
    const dir = copy(name, changes);
    failsWith(resume(dir), `motc: error MOT330: ${join(checkpointDirectory(dir), MANIFEST)}: ${message}`);
  };
  field("no-recipe", { "extra.trainer.recipe": undefined }, "extra.trainer.recipe: must be an object, got nothing");
  field("tokens", { "extra.trainer.data.tokens": -1 }, "extra.trainer.data.tokens: must be a non-negative integer, got -1");
  field("fingerprint", { "extra.trainer.data.fingerprint": null }, "extra.trainer.data.fingerprint: must be a sha256 in hex (64 digits), got null");
  field("no-hash", { "extra.trainer.sha256": "x" }, 'extra.trainer.sha256: must be an object, got "x"');
  field("schedule", { "extra.trainer.recipe.schedule": { kind: "cosine" } }, "extra.trainer.recipe.schedule.final: must be a non-negative number, got nothing");
  field("optimizer-step", { "extra.trainer.optimizerStep": 3 }, "extra.trainer.optimizerStep: must be the checkpoint's step (4), got 3");
  // A step past the run's steps (1e9 — optimizerStep follows, the hashes do not cover the step).
  const far = copy("far", { step: 1e9, "extra.trainer.optimizerStep": 1e9 });
  failsWith(resume(far), `motc: error MOT518: ${far}: the checkpoint is at step 1000000000, past the 6 steps of this run; pass --steps 1000000000 or more`);
  failsWith(["train", smallSpec, "--backend", backend, "--data", data, "--steps", "3", "--out", copy("fewer"), "--resume"],
    `motc: error MOT518: ${join(scratch, "fewer")}: the checkpoint is at step 4, past the 3 steps of this run; pass --steps 4 or more`);
  // optimizer.bin shorter than the parameters need.
  const short = copy("short-optimizer");
  truncateSync(join(checkpointDirectory(short), OPTIMIZER), 100);
  failsWith(resume(short), new RegExp(`^motc: error MOT335: ${checkpointDirectory(short)}: optimizer\\.bin has 100 bytes, but the parameters of checkpoint\\.json need \\d+\n$`));

  // A changed lr: refused, then allowed with --force and a note; eval_every does not change the curve.
  const lr = copy("lr");
  failsWith(resume(lr, "--lr", "0.02"),
    `motc: error MOT517: ${lr}: cannot resume: the checkpoint was trained with lr 0.01, this run has 0.02, so the curve would not match an uninterrupted run; pass --force to resume with the change`);
  const forced = runMotc(resume(lr, "--lr", "0.02", "--force", "--eval-every", "1"), { timeoutMs: 120_000 });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /^note: --force: resuming with lr 0\.02 \(the checkpoint was trained with 0\.01\): the curve from step 4 on differs from an uninterrupted run$/m);
  assert.match(forced.stdout, /^trained small to step 6\/6 /m);
});
