// motc diff A [B] [--model NAME | --models X:Y] [--format text|markdown|json|html] —
// a semantic diff of elaborated models. Exit 0 when equal, 1 when different,
// 2 on error, like diff(1). A side may be `REV:path`, read with `git show`.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Option, type Command } from "commander";
import { checkSpec } from "../check/index.js";
import type { ModelIR } from "../ir/model.js";
import { describeModel, type ModelDescription } from "../review/describe.js";
import { diffHtml } from "../review/diff-html.js";
import { diffJson, diffMarkdown, diffText, type DiffLabels } from "../review/diff-render.js";
import { diffModels, pairModels } from "../review/diff.js";
import { hasErrors } from "../syntax/diagnostics.js";
import { UserError } from "../base/errors.js";
import { writeFileAtomic } from "../base/files.js";
import { MAX_SPEC_BYTES } from "../check/limits.js";
import { printDiagnostics, readSpecText, selectModel, specErrors } from "./spec.js";
import { outputPath } from "./numbers.js";

type DiffFormat = "text" | "markdown" | "json" | "html";

interface DiffOptions {
  model?: string;
  models?: string;
  format: DiffFormat;
  output?: string;
}

export function register(program: Command): void {
  program
    .command("diff")
    .description("semantic diff of the elaborated models of two specs (exit 0 equal, 1 different, 2 error)")
    .argument("<a>", "first spec: a .mot file or REV:path (git)")
    .argument("[b]", "second spec (default: the first, with --models X:Y)")
    .option("-m, --model <name>", "compare only this model (same name on both sides)")
    .option("--models <x:y>", "compare model X of A with model Y of B (or of A when B is left out)")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "markdown", "json", "html"]).default("text"))
    .option("-o, --output <file>", "write to this file (atomically) instead of stdout", outputPath)
    .action((a: string, b: string | undefined, options: DiffOptions) => {
      try {
        process.exitCode = runDiff(a, b, options) ? 0 : 1;
      } catch (error) {
        // diff(1) convention: trouble is 2, so that 1 always means "different".
        if (error instanceof UserError) throw new UserError(error.code, error.args, { exitCode: 2, hint: error.hint });
        throw error;
      }
    });
}

/** Returns whether the compared models are equal. */
function runDiff(a: string, b: string | undefined, options: DiffOptions): boolean {
  if (options.model !== undefined && options.models !== undefined) throw new UserError("MOT224");
  if (b === undefined && options.models === undefined) throw new UserError("MOT225");
  const left = loadSide(a);
  const right = b === undefined ? left : loadSide(b);
  const pairs = pickModels(left, right, options);
  const described = pairs.map(([x, y]) => [x && describeModel(x), y && describeModel(y)] as [ModelDescription | null, ModelDescription | null]);
  const diffs = described.map(([x, y]) => diffModels(x, y));
  const labels: DiffLabels = { before: a, after: b ?? a };
  const rendered = {
    text: () => diffText(diffs, labels),
    markdown: () => diffMarkdown(diffs, labels),
    json: () => diffJson(diffs, labels),
    html: () => diffHtml(diffs, described, labels),
  }[options.format]();
  if (options.output) writeFileAtomic(options.output, rendered);
  else process.stdout.write(rendered);
  return diffs.every((d) => d.equal);
}

interface Side {
  label: string;
  result: ReturnType<typeof checkSpec>;
}

function loadSide(arg: string): Side {
  const text = readSide(arg);
  const result = checkSpec({ path: arg, text });
  printDiagnostics(result, text);
  if (hasErrors(result.diagnostics)) throw specErrors(arg, result);
  return { label: arg, result };
}

function pickModels(left: Side, right: Side, options: DiffOptions): [ModelIR | null, ModelIR | null][] {
  if (options.models !== undefined) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)$/.exec(options.models);
    if (!match) throw new UserError("MOT220", ["--models", "X:Y (two model names)", options.models]);
    return [[selectModel(left.result, left.label, match[1]), selectModel(right.result, right.label, match[2])]];
  }
  if (options.model !== undefined) {
    return [[selectModel(left.result, left.label, options.model), selectModel(right.result, right.label, options.model)]];
  }
  return pairModels(left.result.models, right.result.models);
}

/**
 * A path that exists is a file; otherwise `REV:path` is read from git, with a
 * message that says which of the two is missing.
 */
function readSide(arg: string): string {
  if (existsSync(arg)) return readSpecText(arg);
  const colon = arg.indexOf(":");
  if (colon <= 0) return readSpecText(arg); // reports "no such file"
  const rev = arg.slice(0, colon);
  const path = arg.slice(colon + 1);
  const git = (args: string[]) => execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20 });
  try {
    git(["rev-parse", "--git-dir"]);
  } catch {
    throw new UserError("MOT232", [arg]);
  }
  try {
    git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  } catch {
    throw new UserError("MOT233", [arg, rev]);
  }
  let size: number;
  try {
    size = Number(git(["cat-file", "-s", `${rev}:${path}`]));
  } catch {
    throw new UserError("MOT234", [arg, path, rev]);
  }
  // The same limit as a file's, checked before the blob is read.
  if (size > MAX_SPEC_BYTES) throw new UserError("MOT205", [arg, `${size.toLocaleString("en-US")} bytes`, "a spec", `${MAX_SPEC_BYTES.toLocaleString("en-US")} bytes`]);
  return git(["show", `${rev}:${path}`]);
}
