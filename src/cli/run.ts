// motc run MODEL.onnx (--ids JSON | --text STR) [--ep LIST] [--top N] [--json]
// Next-token predictions at the last position of each sequence, or all logits as JSON.
import type { Command } from "commander";
import type { ModelInfo } from "../run/model-info.js";
import type { Tokenizer } from "../base/tokenizer.js";
import { UserError } from "../base/errors.js";
import { writeOut } from "./io.js";

interface RunFlags {
  ids?: string;
  text?: string;
  ep: string;
  top: string;
  json?: boolean;
  threads?: string;
}

export function register(program: Command): void {
  program
    .command("run")
    .description("run a compiled .onnx model on token ids or text; print next-token predictions")
    .argument("<model>", "a .onnx file from 'motc compile'")
    .option("--ids <json>", "token ids: a JSON array, or an array of equal-length arrays (a batch)")
    .option("--text <string>", "text, encoded with the model's tokenizer")
    .option("--ep <list>", "execution providers in order of preference", "cuda,webgpu,cpu")
    .option("--top <n>", "predictions to print per sequence", "5")
    .option("--json", "print the logits (shape and values) as JSON on stdout")
    .option("--threads <n>", "intra-op threads (default: all cores)")
    .action(async (model: string, flags: RunFlags) => runCommand(model, flags));
}

async function runCommand(modelPath: string, flags: RunFlags): Promise<void> {
  if ((flags.ids === undefined) === (flags.text === undefined)) throw new UserError("MOT221", ["--ids", "--text"]);
  const top = positiveInteger(flags.top, "--top");
  const { parseProviders, openSession } = await import("../run/session.js");
  const { parseIds } = await import("../run/inputs.js");
  const providers = parseProviders(flags.ep);
  const threads = flags.threads === undefined ? undefined : positiveInteger(flags.threads, "--threads");
  // Parse --ids before loading the model: a typo should not cost a session.
  const given = flags.ids !== undefined ? parseIds(flags.ids) : undefined;
  const run = await openSession(modelPath, { providers, threads });
  const { forward, inputLimits, topPredictions } = await import("../run/forward.js");
  const tokenizer = await modelTokenizer(run.info, inputLimits(run).vocab, flags.text !== undefined);
  const batch = given ?? [tokenizer!.encode(flags.text!)];
  if (batch.length === 1 && batch[0].length === 0) throw new UserError("MOT435");
  const result = await forward(run, batch);
  const [sequences, length, vocab] = result.dims;

  if (flags.json) return writeLogitsJson(run.info.name ?? null, run.provider, result.dims, result.logits);
  const lines = [`${run.info.name ?? modelPath}: ${sequences} × ${length} tokens, vocab ${vocab}, provider ${run.provider}`];
  for (let b = 0; b < sequences; b++) {
    lines.push(`${sequences > 1 ? `sequence ${b}, ` : ""}next token after position ${length - 1}:`);
    for (const [rank, p] of topPredictions(result, b, length - 1, Math.min(top, vocab)).entries()) {
      const shown = tokenizer ? `  ${tokenText(tokenizer, p.id)}` : "";
      lines.push(`  ${String(rank + 1).padStart(2)}. ${String(p.id).padStart(6)}  p=${p.probability.toFixed(4)}  logit=${p.logit.toFixed(4)}${shown}`);
    }
  }
  process.stdout.write(lines.join("\n") + "\n");
}

/** Values per write of --json: the logits are streamed, never held as one string (V8 caps a string at ~512 MB). */
const JSON_CHUNK = 1 << 16;

/**
 * `{"model":…,"provider":…,"shape":[B,T,V],"logits":[…]}` and a newline, the
 * numbers as JSON.stringify writes them (a non-finite one as null).
 */
async function writeLogitsJson(model: string | null, provider: string, shape: readonly number[], logits: Float32Array): Promise<void> {
  await writeOut(`{"model":${JSON.stringify(model)},"provider":${JSON.stringify(provider)},"shape":${JSON.stringify(shape)},"logits":[`);
  for (let from = 0; from < logits.length; from += JSON_CHUNK) {
    const values = Array.from(logits.subarray(from, from + JSON_CHUNK), (v) => (Number.isFinite(v) ? String(v) : "null"));
    await writeOut((from > 0 ? "," : "") + values.join(","));
  }
  await writeOut("]}\n");
}

/** A token as quoted text, or its byte value when it is not whole UTF-8 on its own. */
function tokenText(tokenizer: Tokenizer, id: number): string {
  const text = tokenizer.decode([id]);
  if (text.includes("\uFFFD") || text.length === 0) return tokenizer.name === "bytes" ? `<0x${id.toString(16).toUpperCase().padStart(2, "0")}>` : `<${id}>`;
  return JSON.stringify(text);
}

/** The tokenizer the model's metadata names; required for --text, optional for display. */
export async function modelTokenizer(info: ModelInfo, vocab: number | undefined, required: boolean): Promise<Tokenizer | undefined> {
  const { loadTokenizer } = await import("../base/tokenizer.js");
  if (!info.tokenizer) {
    if (required) throw new UserError("MOT425", [info.path]);
    return undefined;
  }
  try {
    return await loadTokenizer(info.tokenizer, vocab ?? info.vocab ?? 0);
  } catch (error) {
    if (required) throw error;
    return undefined;
  }
}

export function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UserError("MOT220", [flag, "a whole number >= 1", text]);
  return value;
}
