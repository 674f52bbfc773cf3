// Tokenizers shared by training (data) and running (prompts, generation).
// `bytes`: UTF-8 bytes, ids 0–255, for any model with vocab ≥ 256.
// `gpt2`: GPT-2's BPE from the gpt-tokenizer package (vocab 50257), loaded lazily.
import { UserError } from "./errors.js";

export type TokenizerName = "bytes" | "gpt2";

export interface Tokenizer {
  name: TokenizerName;
  vocab: number;
  /** The id that ends every document of a prepared dataset: gpt2's <|endoftext|>, NUL for bytes. */
  endOfText: number;
  /** Text to ids; special-token names such as "<|endoftext|>" in the text are ordinary text. */
  encode(text: string): number[];
  /** Decodes ids; incomplete UTF-8 at the end is held back (streaming-safe with `decodeStream`). */
  decode(ids: readonly number[]): string;
}

export const GPT2_VOCAB = 50257;
export const GPT2_END_OF_TEXT = 50256;

/** The tokenizer a model of this vocabulary uses unless told otherwise. */
export function defaultTokenizerFor(vocab: number): TokenizerName {
  return vocab >= GPT2_VOCAB ? "gpt2" : "bytes";
}

export async function loadTokenizer(name: TokenizerName, modelVocab: number): Promise<Tokenizer> {
  const tokenizer = await tokenizerNamed(name);
  if (modelVocab < tokenizer.vocab) throw new UserError("MOT530", [name, tokenizer.vocab, modelVocab]);
  return tokenizer;
}

/** The tokenizer itself, for data that is not yet tied to a model (`motc data prepare`). */
export async function tokenizerNamed(name: TokenizerName): Promise<Tokenizer> {
  if (name === "bytes") return bytesTokenizer;
  const gpt2 = await import("gpt-tokenizer/encoding/gpt2");
  // As tiktoken's encode_ordinary (nanoGPT's prepare.py): web text that happens to
  // contain "<|endoftext|>" is tokenized as the characters it is, not refused.
  const ordinary = { disallowedSpecial: new Set<string>() };
  return {
    name: "gpt2",
    vocab: GPT2_VOCAB,
    endOfText: GPT2_END_OF_TEXT,
    encode: (text) => gpt2.encode(text, ordinary),
    decode: (ids) => gpt2.decode([...ids]),
  };
}

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

export const bytesTokenizer: Tokenizer = {
  name: "bytes",
  vocab: 256,
  endOfText: 0,
  encode: (text) => Array.from(encoder.encode(text)),
  decode: (ids) => decoder.decode(Uint8Array.from(ids.map((id) => id & 255))),
};

/** Streams text as ids arrive: returns only the newly completed characters. */
export function decodeStream(tokenizer: Tokenizer): (id: number) => string {
  const ids: number[] = [];
  let emitted = "";
  return (id) => {
    ids.push(id);
    const text = tokenizer.decode(ids);
    // A trailing U+FFFD is an unfinished multi-byte character: wait for the rest.
    const stable = text.endsWith("\uFFFD") ? text.slice(0, -1) : text;
    const fresh = stable.startsWith(emitted) ? stable.slice(emitted.length) : "";
    if (fresh) emitted = stable;
    return fresh;
  };
}
