// motc generate MODEL.onnx --prompt STR [--max-tokens N] [--temperature T] [--top-k K] [--seed N] [--ep LIST]
// Streams generated text to stdout; the provider, speed and why it stopped go to stderr.
import type { Command } from "commander";
import { UserError } from "../base/errors.js";
import { modelTokenizer, positiveInteger } from "./run.js";

interface GenerateFlags {
  prompt: string;
  maxTokens: string;
  temperature: string;
  topK: string;
  seed: string;
  ep: string;
  threads?: string;
}

export function register(program: Command): void {
  program
    .command("generate")
    .description("generate text from a prompt with a model compiled with --kv-cache (streams to stdout)")
    .argument("<model>", "a .onnx file from 'motc compile --kv-cache'")
    .requiredOption("--prompt <text>", "the text to continue")
    .option("--max-tokens <n>", "tokens to generate at most", "64")
    .option("--temperature <t>", "sampling temperature; 0 = greedy", "1")
    .option("--top-k <k>", "sample among the k most likely tokens (0 = all)", "0")
    .option("--seed <n>", "seed of the sampler (same seed, same text)", "0")
    .option("--ep <list>", "execution providers in order of preference", "cuda,webgpu,cpu")
    .option("--threads <n>", "intra-op threads (default: all cores)")
    .action(async (model: string, flags: GenerateFlags) => generateCommand(model, flags));
}

async function generateCommand(modelPath: string, flags: GenerateFlags): Promise<void> {
  const maxTokens = positiveInteger(flags.maxTokens, "--max-tokens");
  const temperature = number(flags.temperature, "--temperature");
  const topK = number(flags.topK, "--top-k");
  const seed = number(flags.seed, "--seed");
  if (!Number.isInteger(seed)) throw new UserError("MOT220", ["--seed", "a whole number", flags.seed]);
  if (temperature < 0) throw new UserError("MOT220", ["--temperature", ">= 0", flags.temperature]);
  if (!Number.isInteger(topK) || topK < 0) throw new UserError("MOT220", ["--top-k", "a whole number >= 0", flags.topK]);
  if (flags.prompt.length === 0) throw new UserError("MOT441");
  const { parseProviders, openSession } = await import("../run/session.js");
  const providers = parseProviders(flags.ep);
  const threads = flags.threads === undefined ? undefined : positiveInteger(flags.threads, "--threads");
  // Its tokenizer, vocabulary and cache layout come from motc's metadata: refuse another's model before loading it.
  const { readModelInfo } = await import("../run/model-info.js");
  if (!readModelInfo(modelPath).fromMotc) throw new UserError("MOT426", [modelPath]);
  const run = await openSession(modelPath, { providers, threads });
  const { inputLimits } = await import("../run/forward.js");
  const { generate } = await import("../run/generate.js");
  const { decodeStream } = await import("../base/tokenizer.js");
  if (!run.info.tokenizer) process.stderr.write(`motc: ${modelPath} names no tokenizer; using bytes\n`);
  const tokenizer = (await modelTokenizer({ ...run.info, tokenizer: run.info.tokenizer ?? "bytes" }, inputLimits(run).vocab, true))!;
  const prompt = tokenizer.encode(flags.prompt);
  const emit = decodeStream(tokenizer);
  const started = performance.now();
  const result = await generate(run, prompt, {
    maxTokens, temperature, topK, seed,
    onToken: (id) => {
      const text = emit(id);
      if (text) process.stdout.write(text);
    },
  });
  process.stdout.write("\n");
  const seconds = (performance.now() - started) / 1000;
  const why = result.stop === "context" ? `stopped: the model's context of ${inputLimits(run).context} tokens is full` : `stopped at --max-tokens ${maxTokens}`;
  process.stderr.write(`motc: ${result.ids.length} tokens on ${run.provider} in ${seconds.toFixed(2)} s (${(result.ids.length / seconds).toFixed(1)} tokens/s); ${why}\n`);
}

function number(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UserError("MOT220", [flag, "a number", text]);
  return value;
}
