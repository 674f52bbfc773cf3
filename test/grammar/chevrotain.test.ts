// Chevrotain's loader: the bundle run as a script is the same API as the bundle
// imported as a module, and a damaged code cache only costs speed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";
import { bundleAsScript, codeCachePath } from "../../grammar/chevrotain.js";
import { motcBin, repoRoot } from "../support/cli.js";

const bundlePath = join(dirname(createRequire(import.meta.url).resolve("chevrotain")), "..", "chevrotain.min.mjs");

test("the bundle as a script exports what the bundle as a module does", async () => {
  const wrapped = bundleAsScript(readFileSync(bundlePath, "utf8"));
  assert.ok(wrapped, "Chevrotain's bundle no longer has the shape the loader knows");
  const asScript = (new Script(wrapped).runInThisContext() as () => Record<string, unknown>)();
  const asModule = (await import(pathToFileURL(bundlePath).href)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(asScript).sort(), Object.keys(asModule).sort());
  assert.equal(asScript.VERSION, asModule.VERSION);
  for (const [name, value] of Object.entries(asModule)) assert.equal(typeof asScript[name], typeof value, name);
});

test("bundles of another shape are refused, so the loader imports them instead", () => {
  assert.equal(bundleAsScript("var a = 1;"), undefined, "no export list");
  assert.equal(bundleAsScript("var a = 1; export { a as b }; a++;"), undefined, "code after the export list");
  assert.equal(bundleAsScript("var a = import('x'); export { a };"), undefined, "a dynamic import");
  assert.equal(bundleAsScript("export { a }; var a = 1; export { a as b };"), undefined, "two export lists");
  const wrapped = bundleAsScript("var a = 1, c = 2; export { a as b, c };\n/* exports, license */\n//# sourceMappingURL=x.map\n");
  assert.deepEqual((new Script(wrapped!).runInThisContext() as () => unknown)(), { b: 1, c: 2 });
});

test("a damaged code cache is replaced and motc works the same", () => {
  // Its own flags give this child its own cache file, away from other tests' runs.
  const nodeOptions = "--max-old-space-size=3001";
  const cache = codeCachePath([], nodeOptions);
  const run = () =>
    spawnSync(process.execPath, [motcBin, "explain", "specs/tiny.mot"], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: nodeOptions, NO_COLOR: "1" },
    });
  rmSync(cache, { force: true });
  const fresh = run();
  assert.equal(fresh.status, 0, fresh.stderr);
  assert.ok(statSync(cache).size > 10_000, "the first start writes the cache");

  writeFileSync(cache, "not a V8 code cache");
  const damaged = run();
  assert.equal(damaged.status, 0, damaged.stderr);
  assert.equal(damaged.stdout, fresh.stdout);
  assert.equal(damaged.stderr, "");
  assert.ok(statSync(cache).size > 10_000, "the damaged cache is rewritten");
  rmSync(cache, { force: true });
});
