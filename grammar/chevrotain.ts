// Chevrotain, loaded from the single-file bundle it ships (lib/chevrotain.min.mjs)
// instead of its package entry, which pulls in some 600 lodash-es modules:
// ~30 ms instead of ~450 ms at every `motc` start. Same package, same version,
// same API; the types are the package's own.
//
// The bundle is compiled as a script with a V8 code cache kept in
// node_modules/.cache/motc/ (where babel, eslint and terser keep theirs), so a
// start skips compiling Chevrotain (and the lexer and grammar analysis it runs
// for us) from source: about 5–7 ms of the ~60 ms node itself needs. Node 20 has
// no compile cache for ES modules, hence the script form: the bundle's one
// trailing `export { … }` becomes a `return { … }`. Anything unexpected — another
// bundle shape, a cache from another node, a read-only install — falls back to
// the plain import or to compiling without the cache; the cache only ever
// changes how fast motc starts.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";

type Chevrotain = typeof import("chevrotain");

const entry = createRequire(import.meta.url).resolve("chevrotain"); // …/chevrotain/lib/src/api.js
const bundlePath = join(dirname(entry), "..", "chevrotain.min.mjs");
// V8 rejects a cache made under other flags; one file per node and flag set
// keeps `node --inspect motc …` from evicting the cache every plain start uses.
const cachePath = codeCachePath(process.execArgv, process.env.NODE_OPTIONS);

/** Where a node started with these flags keeps Chevrotain's code cache. */
export function codeCachePath(execArgv: readonly string[], nodeOptions = ""): string {
  const flags = fnv1a([...execArgv, nodeOptions].join(" "));
  const nodeModules = join(dirname(entry), "..", "..", "..");
  return join(nodeModules, ".cache", "motc", `chevrotain.${process.versions.v8}.${process.arch}.${flags}.v8cache`);
}

/** FNV-1a, 32 bits, as 8 hex digits: a short file-name-safe digest (node:crypto would cost a start ~1 ms). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** The bundle as a function body returning its exports, or undefined when its shape is not the known one. */
export function bundleAsScript(source: string): string | undefined {
  // The last `export` that starts an export list (the license comment after it says "exports").
  let start = source.length;
  do start = source.lastIndexOf("export", start - 1);
  while (start > 0 && !/^export\s*\{/.test(source.slice(start, start + 16)));
  const tail = /^export\s*\{([^{}]*)\};?\s*(\/\*[\s\S]*?\*\/\s*)?(\/\/#[^\n]*\s*)?$/.exec(source.slice(start));
  const body = tail ? source.slice(0, start) : "";
  // Another export list or a dynamic import would not survive as a script; a
  // static import or import.meta fails to compile, which load() also handles.
  if (!tail || /\bexport\s*\{|\bimport\s*\(/.test(body)) return undefined;
  const fields: string[] = [];
  for (const binding of tail[1].split(",")) {
    const names = /^\s*([\w$]+)(?:\s+as\s+([\w$]+))?\s*$/.exec(binding);
    if (!names) return undefined;
    fields.push(`${names[2] ?? names[1]}: ${names[1]}`);
  }
  return `(function () {${body}\nreturn { ${fields.join(", ")} };\n})`;
}

/** The plain ES-module import: the way in when the script form cannot be used. */
async function importBundle(): Promise<Chevrotain> {
  return (await import(pathToFileURL(bundlePath).href)) as Chevrotain;
}

function readCache(): Buffer | undefined {
  try {
    return readFileSync(cachePath);
  } catch {
    return undefined;
  }
}

async function load(): Promise<Chevrotain> {
  const source = readFileSync(bundlePath, "utf8");
  const wrapped = bundleAsScript(source);
  if (wrapped === undefined) return importBundle();
  const cachedData = readCache();
  let script: Script;
  try {
    script = new Script(wrapped, { filename: bundlePath, cachedData });
  } catch {
    return importBundle();
  }
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit, so the cache also holds the functions this run compiled
    // lazily (the lexer, the grammar analysis). Temp file + rename: concurrent
    // starts never see half a cache.
    process.once("exit", () => {
      const temp = `${cachePath}.${process.pid}.tmp`;
      try {
        mkdirSync(dirname(cachePath), { recursive: true });
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cachePath);
      } catch {
        // A read-only install only starts slower.
        rmSync(temp, { force: true });
      }
    });
  }
  return (script.runInThisContext() as () => Chevrotain)();
}

const chevrotain = await load();

export const { Lexer, createToken, CstParser, EOF, createSyntaxDiagramsCode } = chevrotain;
