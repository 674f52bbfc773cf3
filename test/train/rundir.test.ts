// The run directory (src/train/rundir.ts, CONTRACTS 4) in-process: step
// directories committed by `latest`, the last two kept, an old flat checkpoint
// and stale temporaries of dead processes removed, the reader rule, the lock,
// and transition's writes. Kills at each window are in kill.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { UserError } from "../../src/base/errors.js";
import { initialWeights } from "../../src/ir/init.js";
import { checkpointDirectory, checkpointFiles, readCheckpoint, readManifest, writeCheckpoint } from "../../src/train/checkpoint.js";
import { checkpointName, lockRun, saveCheckpoint, writeSpecAndCheckpoint } from "../../src/train/rundir.js";
import { smallModel } from "./fixture.js";

const scratch = mkdtempSync(join(tmpdir(), "motc-rundir-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const model = smallModel();
const weights = initialWeights(model, 0);
const files = (step: number) => checkpointFiles("", model, step, weights);
/** A pid that was just in use and is not any more. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;

test("checkpoint names pad the step to six digits, more when it needs them", () => {
  assert.equal(checkpointName(30), "checkpoint-000030");
  assert.equal(checkpointName(1234567), "checkpoint-1234567");
});

test("each save is a step directory committed by latest; the previous one stays, older ones and dead temporaries go", () => {
  const run = join(scratch, "run");
  mkdirSync(run);
  // Left by killed runs: a temporary of a dead pid, one of a live process (kept), a stray file.
  const dead = deadPid();
  mkdirSync(join(run, `checkpoint-000020.tmp-${dead}`));
  writeFileSync(join(run, `latest.tmp-${dead}`), "checkpoint-000020\n");
  mkdirSync(join(run, `checkpoint-000020.tmp-${process.ppid}`));
  writeFileSync(join(run, `loss.svg.${dead}.tmp`), "<svg");
  writeFileSync(join(run, "metrics.jsonl"), "");
  saveCheckpoint(run, 10, files(10));
  assert.equal(readFileSync(join(run, "latest"), "utf8"), "checkpoint-000010\n");
  assert.deepEqual(readdirSync(run).sort(), ["checkpoint-000010", `checkpoint-000020.tmp-${process.ppid}`, "latest", "metrics.jsonl"]);
  saveCheckpoint(run, 20, files(20));
  saveCheckpoint(run, 30, files(30));
  assert.deepEqual(readdirSync(run).sort(), ["checkpoint-000020", "checkpoint-000030", `checkpoint-000020.tmp-${process.ppid}`, "latest", "metrics.jsonl"].sort());
  assert.deepEqual(readdirSync(join(run, "checkpoint-000030")).sort(), ["checkpoint.json", "weights.bin"]);
  // Readers: the run directory means its latest; a step directory is a checkpoint itself.
  assert.equal(checkpointDirectory(run), join(run, "checkpoint-000030"));
  assert.equal(readCheckpoint(run, model).manifest.step, 30);
  assert.equal(readManifest(join(run, "checkpoint-000020")).step, 20);
  // A step directory that latest does not name (completed, never committed) is replaced when its step is saved again.
  writeCheckpoint(join(run, "checkpoint-000040"), model, 99, weights);
  saveCheckpoint(run, 40, files(40));
  assert.equal(readCheckpoint(run, model).manifest.step, 40);
  assert.throws(() => saveCheckpoint(run, 40, files(40)), /internal: step 40 is already the latest checkpoint/);
});

test("saving into an old flat run directory moves it to the new layout: the flat checkpoint goes once latest is committed", () => {
  const run = join(scratch, "flat");
  writeCheckpoint(run, model, 5, weights);
  writeFileSync(join(run, "optimizer.bin"), "x");
  assert.equal(readCheckpoint(run, model).manifest.step, 5);
  saveCheckpoint(run, 6, files(6));
  assert.deepEqual(readdirSync(run).sort(), ["checkpoint-000006", "latest"]);
  assert.equal(readCheckpoint(run, model).manifest.step, 6);
});

test("latest must name a checkpoint directory of its run; neither file is MOT309", () => {
  const run = join(scratch, "pointer");
  mkdirSync(run);
  assert.throws(() => checkpointDirectory(run), { code: "MOT309", message: `${run}: neither a checkpoint (no checkpoint.json) nor a run directory (no latest)` });
  for (const text of ["../elsewhere\n", "/etc\n", "", "checkpoint-12\n"]) {
    writeFileSync(join(run, "latest"), text);
    assert.throws(() => checkpointDirectory(run), { code: "MOT331", message: `${join(run, "latest")}: names ${JSON.stringify(text.trim())}, not a checkpoint directory of this run (checkpoint-NNNNNN)` });
  }
  assert.throws(() => checkpointDirectory(join(scratch, "absent")), { code: "MOT300" });
});

test("the lock: one run per directory; a live holder is named, a dead one's lock is taken over with a note", () => {
  const run = join(scratch, "locked", "deeper");
  const notes: string[] = [];
  const lock = lockRun(run, (line) => notes.push(line));
  assert.equal(readFileSync(join(run, "lock"), "utf8"), `${process.pid}\n`);
  assert.deepEqual(readdirSync(run), ["lock"], "no temporary is left beside it");
  lock.release();
  // Locking made the directories; releasing an empty run removes them again.
  assert.equal(existsSync(join(scratch, "locked")), false);

  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, "lock"), `${process.ppid}\n`);
  assert.throws(() => lockRun(run, (line) => notes.push(line)), (error: Error) =>
    error instanceof UserError && error.code === "MOT504" &&
    error.message === `${run} is in use by another motc train (pid ${process.ppid}, in ${join(run, "lock")}); wait for it to finish or train into another --out (if no such process is training, remove ${join(run, "lock")})`);
  assert.equal(readFileSync(join(run, "lock"), "utf8"), `${process.ppid}\n`, "a live holder's lock is left alone");

  const dead = deadPid();
  writeFileSync(join(run, "lock"), `${dead}\n`);
  const taken = lockRun(run, (line) => notes.push(line));
  assert.deepEqual(notes, [`note: ${join(run, "lock")} was left by process ${dead}, which is no longer running; taking the run over`]);
  assert.equal(readFileSync(join(run, "lock"), "utf8"), `${process.pid}\n`);
  taken.release();
  assert.equal(existsSync(join(run, "lock")), false);
  assert.ok(existsSync(run), "a directory locking did not make stays");

  writeFileSync(join(run, "lock"), "garbage");
  lockRun(run, (line) => notes.push(line)).release();
  assert.equal(notes[1], `note: ${join(run, "lock")} was left by a process that wrote no pid; taking the run over`);
});

test("transition's writes: a checkpoint of a transition left without its spec is replaced; any other is refused", () => {
  const out = join(scratch, "transition");
  const spec = { path: join(out, "twin.mot"), text: "spec\n" };
  const checkpoint = { dir: join(out, "twin.train"), files: checkpointFiles("", model, 0, weights, { transition: { from: "small" } }) };
  const notes: string[] = [];
  writeSpecAndCheckpoint(out, spec, checkpoint, (line) => notes.push(line));
  assert.deepEqual(readdirSync(out).sort(), ["twin.mot", "twin.train"]);
  assert.throws(() => writeSpecAndCheckpoint(out, spec, checkpoint, (line) => notes.push(line)), { code: "MOT203" });
  // As a kill between the two renames leaves it, with a temporary of a dead run beside it.
  rmSync(spec.path);
  mkdirSync(join(out, `twin.train.tmp-${deadPid()}`));
  writeSpecAndCheckpoint(out, spec, checkpoint, (line) => notes.push(line));
  assert.deepEqual(notes, [`note: ${checkpoint.dir} is left from a transition interrupted before it wrote ${spec.path}: replacing it`]);
  assert.deepEqual(readdirSync(out).sort(), ["twin.mot", "twin.train"]);
  // A checkpoint that is not a transition's is never replaced.
  rmSync(spec.path);
  rmSync(checkpoint.dir, { recursive: true });
  writeCheckpoint(checkpoint.dir, model, 3, weights);
  assert.throws(() => writeSpecAndCheckpoint(out, spec, checkpoint, () => {}), { code: "MOT203" });
});
