// The shared atomic writers (src/base/files.ts): all files or none, and a
// failure removes what the write made — temporaries, files already renamed
// into place, and the directories it created for them.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readText, writeFileAtomic, writeFilesAtomic } from "../../src/base/files.js";

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
