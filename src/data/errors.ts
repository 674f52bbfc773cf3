// The failures and warnings of the dataset pipeline (MOT6xx), in one table.
// They join src/base/messages.ts's table once its failures carry codes; until
// then `datasetError` renders the code into the message of a plain UserError,
// so what a user sees is already the final `motc: error MOT6nn: …` line.
import { UserError } from "../base/errors.js";

export const datasetMessages = {
  // Reading the inputs
  MOT600: "cannot read {0}: {1}",
  MOT601: "{0}: holds no input files",
  MOT602: "{0}: the input is empty",
  MOT603: "{0}: truncated or corrupt gzip ({1})",
  MOT604: "{0}:{1}: invalid UTF-8 (--strict)",
  MOT605: "{0}:{1}: not a JSON object (--strict)",
  MOT606: "{0}:{1}: no string field '{2}' (--strict)",
  MOT607: "{0}:{1}: a line longer than 64 MiB (--strict)",
  MOT608: "the inputs hold no documents ({0})",
  MOT609: "{0}: a document has no text (--strict)",
  // The output directory and the split
  MOT610: "{0} already holds a dataset: pass --force to replace it, or choose another --out",
  MOT611: "{0} exists and is not a dataset: refusing to replace it; choose another --out",
  MOT612: "cannot write {0}: {1}",
  MOT613: "{0} put nothing into the val split ({1}, {2} tokens): give a larger --val, --val N (the first N documents) or --val-tail",
  MOT614: "the train split is empty: {0} holds out all {1} tokens",
  MOT617: "interrupted: nothing was written to {0}",
  // Reading a prepared dataset
  MOT620: "{0}: not a prepared dataset (no manifest.json); make one with 'motc data prepare'",
  MOT621: "{0}: manifest.json is not a motc dataset of version 1 ({1})",
  MOT622: "{0}: shard {1} has {2} bytes, but the manifest says {3} tokens of {4}",
  MOT623: "{0}: token {1} of the {2} split is {3}, not below the vocabulary of {4} (a corrupt shard?)",
  MOT624: "dataset {0} holds {1} tokens (vocab {2}), but model '{3}' has vocab {4}",
  MOT625: "dataset {0} holds {1} tokens, but --tokenizer {2} was given",
  MOT626: "the {0} split of {1} has {2} tokens, but a batch of {3} windows of {4} needs at least {5}; give more data or a smaller --batch",
  MOT627: "the val split of {0} has {1} tokens, fewer than one window of {2}; prepare it with a larger --val",
  // Warnings: a record skipped or text repaired, counted (--strict fails instead)
  MOT650: "lines that are not JSON objects, skipped: {0}",
  MOT651: "records without a string field '{1}', skipped: {0}",
  MOT652: "lines longer than 64 MiB, skipped: {0}",
  MOT653: "documents without text, skipped: {0}",
  MOT654: "invalid UTF-8 sequences, replaced by U+FFFD: {0}",
  MOT655: "NUL characters, dropped (NUL is the bytes tokenizer's end of text): {0}",
} as const;

export type DatasetCode = keyof typeof datasetMessages;

export function datasetMessage(code: DatasetCode, args: readonly (string | number)[]): string {
  const text = datasetMessages[code].replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ""));
  return `${Number(code.slice(3)) >= 650 ? "warning" : "error"} ${code}: ${text}`;
}

/** A dataset failure: `motc: error MOT6nn: …` when the CLI prints it. */
export function datasetError(code: DatasetCode, args: readonly (string | number)[] = [], exitCode = 1): UserError {
  return new UserError(datasetMessage(code, args), exitCode);
}
