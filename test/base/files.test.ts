// The shared atomic writers (src/base/files.ts): all files or none, and a
// failure removes what the write made — temporaries, files already renamed
// into place, and the directories it created for them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  readBoundedText, readText, removeStaleTemporaries, writeFileAtomic, writeFilesAtomic, writeFilesAtomicAsync,
} from "../../src/base/files.js";

const scratch = mkdtempSync(join(tmpdir(), "motc-files-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const bytes = (text: string) => new TextEncoder().encode(text);

test("writeFilesAtomic writes every file, chunk after chunk, into directories it makes", () => {
  const out = join(scratch, "ok", "deep");
  writeFilesAtomic([
    { path: join(out, "a", "data.bin"), chunks: [bytes("ab"), bytes(""), bytes("cd")] },
    { path: join(out, "index.json"), chunks: [bytes("{}\n")] },
  ]);
  assert.equal(readFileSync(join(out, "a", "data.bin"), "utf8"), "abcd");
  assert.equal(readFileSync(join(out, "index.json"), "utf8"), "{}\n");
  assert.deepEqual(readdirSync(out).sort(), ["a", "index.json"]);
  writeFileAtomic(join(out, "index.json"), "{ \"v\": 2 }\n");
  assert.equal(readText(join(out, "index.json")), "{ \"v\": 2 }\n");
});

test("a rename that fails last undoes the renames before it and the directories the write made", () => {
  const root = join(scratch, "undo");
  mkdirSync(join(root, "spec.mot"), { recursive: true }); // a directory where the last file goes
  assert.throws(
    () => writeFilesAtomic([
      { path: join(root, "made", "deeper", "weights.bin"), chunks: [bytes("w")] },
      { path: join(root, "made", "checkpoint.json"), chunks: [bytes("{}")] },
      { path: join(root, "spec.mot"), chunks: [bytes("model m {}")] },
    ]),
    { code: "MOT202", message: `cannot write ${join(root, "spec.mot")}: is a directory` },
  );
  assert.deepEqual(readdirSync(root), ["spec.mot"]);
  assert.deepEqual(readdirSync(join(root, "spec.mot")), []);
});

test("a directory that existed before, or that something else wrote into, is kept", () => {
  const root = join(scratch, "keep");
  mkdirSync(join(root, "existing"), { recursive: true });
  writeFileSync(join(root, "existing", "old.txt"), "old");
  mkdirSync(join(root, "blocked"));
  assert.throws(() => writeFilesAtomic([
    { path: join(root, "existing", "new.txt"), chunks: [bytes("new")] },
    { path: join(root, "blocked"), chunks: [bytes("x")] },
  ]), { code: "MOT202" });
  assert.deepEqual(readdirSync(join(root, "existing")), ["old.txt"]);
  assert.deepEqual(readdirSync(root).sort(), ["blocked", "existing"]);
});

test("readBoundedText refuses what is not a regular file, before reading it (MOT204)", () => {
  const fifo = join(scratch, "pipe");
  spawnSync("mkfifo", [fifo]);
  const cases: [string, string][] = [
    [scratch, "a directory"],
    ["/dev/zero", "a character device"],
    [fifo, "a FIFO (named pipe)"],
  ];
  for (const [path, kind] of cases) {
    const started = performance.now();
    assert.throws(() => readBoundedText(path, 1024, "a spec"), { code: "MOT204", message: `${path} is ${kind}, not a regular file` });
    assert.ok(performance.now() - started < 1000, `${path} was not refused at once`);
  }
  assert.throws(() => readBoundedText(join(scratch, "absent.mot"), 1024, "a spec"),
    { code: "MOT201", message: `cannot read ${join(scratch, "absent.mot")}: no such file or directory` });
});

test("readBoundedText refuses a file over the limit (MOT205) and reads one at the limit; a symlink is followed", () => {
  const path = join(scratch, "sized.mot");
  writeFileSync(path, "x".repeat(1025));
  assert.throws(() => readBoundedText(path, 1024, "a spec"), { code: "MOT205", message: `${path} is 1,025 bytes: a spec may be at most 1,024 bytes` });
  writeFileSync(path, "x".repeat(1024));
  assert.equal(readBoundedText(path, 1024, "a spec").length, 1024);
  const link = join(scratch, "link.mot");
  symlinkSync(path, link);
  assert.equal(readBoundedText(link, 1024, "a spec").length, 1024);
});

test("a write keeps a given mode exactly, whatever the umask", () => {
  const path = join(scratch, "mode", "secret.mot");
  for (const mode of [0o600, 0o640, 0o755]) {
    writeFileAtomic(path, "text", { mode });
    assert.equal(statSync(path).mode & 0o7777, mode);
  }
});

test("a file where a directory must be is named in the message, not a raw EEXIST", () => {
  const file = join(scratch, "plain");
  writeFileSync(file, "");
  for (const path of [join(file, "x.onnx"), join(file, "a", "b", "x.onnx")]) {
    assert.throws(() => writeFileAtomic(path, "x"), { code: "MOT202", message: `cannot write ${path}: ${file} is a file, not a directory` });
  }
});

test("the next write removes temporaries of dead processes, never a live one's", async () => {
  const dir = join(scratch, "stale");
  mkdirSync(dir);
  const path = join(dir, "m.onnx");
  // A pid that has just exited: dead. Pid 1 (init) always runs.
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
  for (const name of [`m.onnx.${dead}.tmp`, "m.onnx.1.tmp", `m.onnx.data.${dead}.tmp`, `other.onnx.${dead}.tmp`, "m.onnx.x.tmp"]) {
    writeFileSync(join(dir, name), "partial");
  }
  await writeFilesAtomicAsync([{ path, chunks: [bytes("whole")] }]);
  assert.equal(readFileSync(path, "utf8"), "whole");
  // m.onnx's dead temporary went; the live one, other files' and names that are not a pid stay.
  assert.deepEqual(readdirSync(dir).sort(), ["m.onnx", "m.onnx.1.tmp", `m.onnx.data.${dead}.tmp`, "m.onnx.x.tmp", `other.onnx.${dead}.tmp`].sort());
  removeStaleTemporaries(join(dir, "m.onnx.data"));
  assert.ok(!readdirSync(dir).includes(`m.onnx.data.${dead}.tmp`));
});

test("writeFilesAtomicAsync: the same all-or-nothing as the synchronous writer", async () => {
  const root = join(scratch, "async");
  mkdirSync(join(root, "blocked"), { recursive: true });
  await assert.rejects(writeFilesAtomicAsync([
    { path: join(root, "made", "data.bin"), chunks: [bytes("ab"), bytes("cd")] },
    { path: join(root, "blocked"), chunks: [bytes("x")] },
  ]), { code: "MOT202", message: `cannot write ${join(root, "blocked")}: is a directory` });
  assert.deepEqual(readdirSync(root), ["blocked"]);
  await writeFilesAtomicAsync([{ path: join(root, "ok", "data.bin"), chunks: [bytes("ab"), bytes("cd")] }], { mode: 0o600 });
  assert.equal(readFileSync(join(root, "ok", "data.bin"), "utf8"), "abcd");
  assert.equal(statSync(join(root, "ok", "data.bin")).mode & 0o777, 0o600);
});
