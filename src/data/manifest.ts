// A prepared dataset's manifest.json (CONTRACTS.md section 1): what the shards
// hold and how they were made. Its bytes are canonical (keys in a fixed order,
// 2-space indent, trailing newline), so the same inputs and flags give the same
// file, and sha256 of those bytes is the dataset's identity (its fingerprint).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError, describeFsError } from "../base/errors.js";
import { GPT2_END_OF_TEXT, GPT2_VOCAB, type TokenizerName } from "../base/tokenizer.js";


export const MANIFEST = "manifest.json";
export const DATASET_FORMAT = "motc-dataset";

export type SplitName = "train" | "val";
export const SPLITS: readonly SplitName[] = ["train", "val"];
export type TokenDtype = "uint16" | "uint32";

/** Vocabulary and end-of-text id of each tokenizer a dataset can be prepared with. */
export const DATASET_TOKENIZERS: Record<TokenizerName, { vocab: number; eot: number }> = {
  bytes: { vocab: 256, eot: 0 },
  gpt2: { vocab: GPT2_VOCAB, eot: GPT2_END_OF_TEXT },
};

export interface ShardEntry {
  file: string;
  tokens: number;
  sha256: string;
}

export interface SplitEntry {
  tokens: number;
  /** End-of-text tokens in the split: every document ends with one. */
  documents: number;
  shards: ShardEntry[];
}

/**
 * How documents were assigned to val: `random` (each with probability `val`,
 * seeded), `first` (the first `val` documents) or `tail` (the last `val` of the
 * tokens: a fraction, or a count of tokens).
 */
export interface SplitRule {
  method: "random" | "first" | "tail";
  val: number;
  seed: number | null;
}

export interface SourceEntry {
  path: string;
  bytes: number;
  sha256: string;
}

/** What was dropped or repaired on the way (counts; README.md lists the keys). */
export const SKIPPED_KEYS = ["invalid_json", "missing_field", "too_long", "empty", "invalid_utf8", "nul"] as const;
export type SkippedKey = (typeof SKIPPED_KEYS)[number];
export type Skipped = Record<SkippedKey, number>;

export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  version: 1;
  tokenizer: TokenizerName;
  vocab: number;
  dtype: TokenDtype;
  eot: number;
  splits: Record<SplitName, SplitEntry>;
  split: SplitRule;
  sources: SourceEntry[];
  skipped: Skipped;
}

export function dtypeFor(vocab: number): TokenDtype {
  return vocab <= 65536 ? "uint16" : "uint32";
}

export function bytesPerToken(dtype: TokenDtype): number {
  return dtype === "uint16" ? 2 : 4;
}

export function noneSkipped(): Skipped {
  return { invalid_json: 0, missing_field: 0, too_long: 0, empty: 0, invalid_utf8: 0, nul: 0 };
}

/** manifest.json's bytes: the keys in the contract's order whatever order `m` has them in. */
export function manifestText(m: DatasetManifest): string {
  const split = (s: SplitEntry) => ({
    tokens: s.tokens,
    documents: s.documents,
    shards: s.shards.map((shard) => ({ file: shard.file, tokens: shard.tokens, sha256: shard.sha256 })),
  });
  const ordered = {
    format: m.format,
    version: m.version,
    tokenizer: m.tokenizer,
    vocab: m.vocab,
    dtype: m.dtype,
    eot: m.eot,
    splits: { train: split(m.splits.train), val: split(m.splits.val) },
    split: { method: m.split.method, val: m.split.val, seed: m.split.seed },
    sources: m.sources.map((s) => ({ path: s.path, bytes: s.bytes, sha256: s.sha256 })),
    skipped: Object.fromEntries(SKIPPED_KEYS.map((key) => [key, m.skipped[key]])),
  };
  return JSON.stringify(ordered, null, 2) + "\n";
}

/** The dataset's identity: sha256 of its manifest.json bytes. */
export function fingerprintOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Reads and checks DIR/manifest.json; the shards themselves are checked by dataset.ts. */
export function readManifest(dir: string): { manifest: DatasetManifest; fingerprint: string } {
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new UserError("MOT620", [dir]);
    throw new UserError("MOT201", [join(dir, MANIFEST), describeFsError(error)]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError("MOT621", [dir, "not valid JSON"]);
  }
  return { manifest: checkManifest(dir, parsed), fingerprint: fingerprintOf(text) };
}

function checkManifest(dir: string, value: unknown): DatasetManifest {
  const bad = (why: string) => new UserError("MOT621", [dir, why]);
  const m = value as DatasetManifest;
  if (typeof m !== "object" || m === null || m.format !== DATASET_FORMAT) throw bad(`format is not "${DATASET_FORMAT}"`);
  if (m.version !== 1) throw bad(`version ${String(m.version)}`);
  const tokenizer = DATASET_TOKENIZERS[m.tokenizer];
  if (!Object.hasOwn(DATASET_TOKENIZERS, m.tokenizer)) throw bad(`unknown tokenizer ${JSON.stringify(m.tokenizer)}`);
  if (m.vocab !== tokenizer.vocab || m.eot !== tokenizer.eot) throw bad(`vocab ${m.vocab} and eot ${m.eot} are not those of ${m.tokenizer}`);
  if (m.dtype !== dtypeFor(m.vocab)) throw bad(`dtype ${JSON.stringify(m.dtype)} does not fit vocab ${m.vocab}`);
  for (const name of SPLITS) {
    const split = m.splits?.[name];
    if (!split || !Array.isArray(split.shards) || !Number.isSafeInteger(split.tokens)) throw bad(`no ${name} split`);
    const sum = split.shards.reduce((total, shard) => total + shard.tokens, 0);
    if (sum !== split.tokens) throw bad(`the ${name} shards hold ${sum} tokens, not ${split.tokens}`);
    for (const shard of split.shards) {
      // A shard is a plain file name inside DIR, never a path out of it.
      if (typeof shard.file !== "string" || !/^[\w.-]+$/.test(shard.file) || !Number.isSafeInteger(shard.tokens) || shard.tokens < 0) {
        throw bad(`a bad ${name} shard entry ${JSON.stringify(shard)}`);
      }
    }
  }
  return m;
}
