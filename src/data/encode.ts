// Document pieces → token ids. `bytes`: the UTF-8 bytes themselves, with NUL
// dropped (and counted), since id 0 is the end of text. `gpt2`: GPT-2's BPE of
// the piece, a long one cut first where the tokens do not change (pieces.ts).
import type { Tokenizer } from "../base/tokenizer.js";
import type { Skipped } from "./manifest.js";
import { stringPieces } from "./pieces.js";

/** GPT-2 encodes at most this many UTF-16 code units at once (bounded memory for huge records). */
export const ENCODE_CHARS = 1 << 20;

export type TokenSink = (ids: Uint8Array | readonly number[]) => void;

/** Encodes pieces into `sink`, counting dropped NULs in `skipped.nul`. */
export function pieceEncoder(tokenizer: Tokenizer, skipped: Skipped): (content: Uint8Array | string, sink: TokenSink) => void {
  if (tokenizer.name === "bytes") {
    return (content, sink) => {
      let bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
      if (bytes.includes(0)) {
        const kept = bytes.filter((byte) => byte !== 0);
        skipped.nul += bytes.length - kept.length;
        bytes = kept;
      }
      sink(bytes);
    };
  }
  return (content, sink) => {
    const text = typeof content === "string" ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString("utf8");
    for (const piece of stringPieces(text, ENCODE_CHARS)) sink(tokenizer.encode(piece));
  };
}
