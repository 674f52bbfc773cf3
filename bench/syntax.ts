// Syntax benchmark: the lexer, the parser, the tree builder, parseSpec and
// formatSpec on the 1,000-line spec of bench/frontend.ts, warm (min and median
// of 50 runs after 20 to warm up), and the cost of loading the parser in a
// fresh process. Never part of npm test.
// Run: npm run build && node dist/bench/syntax.js
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { motParser } from "../grammar/parser.js";
import { motLexer } from "../grammar/tokens.js";
import { formatSpec } from "../src/syntax/format.js";
import { parseSpec } from "../src/syntax/parse.js";
import { TreeBuilder } from "../src/syntax/tree.js";
import { largeSpec } from "./frontend.js";

function measure(run: () => void): { min: number; median: number } {
  for (let i = 0; i < 20; i++) run();
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { min: times[0], median: times[25] };
}

/** Milliseconds to import a module in a fresh node, median of 11 (measured inside the child). */
function loadTime(module: string): number {
  const url = new URL(module, import.meta.url).href;
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    times.push(Number(result.stdout));
  }
  return times.sort((a, b) => a - b)[5];
}

function main(): void {
  const text = largeSpec();
  const lines = text.split("\n").length - 1;
  const tokens = motLexer.tokenize(text).tokens;
  motParser.input = tokens;
  const cst = motParser.file();
  const builder = new TreeBuilder();
  const rows: [string, { min: number; median: number }][] = [
    ["lex", measure(() => motLexer.tokenize(text))],
    ["parse (tokens → CST)", measure(() => {
      motParser.input = tokens;
      motParser.file();
    })],
    ["tree (CST → AST)", measure(() => builder.build(cst, "big.mot", []))],
    ["parseSpec (all three)", measure(() => parseSpec({ path: "big.mot", text }))],
    ["formatSpec (parse, print, re-parse guard)", measure(() => formatSpec({ path: "big.mot", text }))],
  ];
  console.log(`${lines}-line spec, ${tokens.length} tokens; warm, 50 runs`);
  console.log("| step | min ms | median ms |\n|---|---:|---:|");
  for (const [name, { min, median }] of rows) console.log(`| ${name} | ${min.toFixed(2)} | ${median.toFixed(2)} |`);
  console.log("\nloading in a fresh node, median of 11");
  console.log("| module | ms |\n|---|---:|");
  console.log(`| grammar/chevrotain.js (the bundled chevrotain) | ${loadTime("../grammar/chevrotain.js").toFixed(1)} |`);
  console.log(`| src/syntax/parse.js (lexer + parser built) | ${loadTime("../src/syntax/parse.js").toFixed(1)} |`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
