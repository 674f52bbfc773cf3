// Installing and starting motc through npm: `npx motc` prints motc's output and
// nothing of npm's (the project config holds only keys npm knows), and a fresh
// `npm ci` reaches nothing outside the npm registry — onnxruntime-node's CUDA
// download is denied by allowScripts, on an npm that honours it (issue 11, item 24).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/cli.js";
import { version } from "../../src/base/version.js";

test("npm exec -- motc --version: motc's version on stdout, no npm warning on stderr", (t) => {
  const result = spawnSync("npm", ["exec", "--offline", "--", "motc", "--version"], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") return t.skip("npm is not on PATH");
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${version}\n`);
  assert.doesNotMatch(result.stderr, /npm (warn|WARN|error|ERR)/);
  assert.equal(result.stderr, "");
});

test("onnxruntime-node's install script is denied, and an npm too old to honour that is refused", () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { allowScripts: Record<string, boolean>; engines: Record<string, string> };
  assert.equal(pkg.allowScripts["onnxruntime-node"], false);
  // allowScripts is enforced from npm 11.16; engine-strict makes an older npm stop before installing.
  assert.equal(pkg.engines.npm, ">=11.16");
  const npmrc = readFileSync(join(repoRoot, ".npmrc"), "utf8").split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  assert.deepEqual(npmrc, ["engine-strict=true", "fund=false", "audit=false"]);
});
