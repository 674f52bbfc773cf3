// Where a long document may be cut into pieces that are tokenized one at a time
// without changing its tokens. GPT-2's pre-tokenizer (the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// ) matches left to right and looks only ahead, and no match runs from a
// non-space character on into a space: so just before a space that follows a
// non-space character a match always ends, and the text from there on splits
// the same alone as inside the whole. BPE merges never cross those matches.
// The bytes tokenizer can be cut anywhere between characters.

/**
 * A cut in [min, bytes.length] of UTF-8 bytes: before a space that follows a
 * printable ASCII character; failing that before the last character's first
 * byte (only there may GPT-2's tokens differ from the whole's); failing that the end.
 */
export function safeByteCut(bytes: Uint8Array, min: number): number {
  for (let at = bytes.lastIndexOf(0x20); at > min; at = bytes.lastIndexOf(0x20, at - 1)) {
    const before = bytes[at - 1];
    if (before > 0x20 && before < 0x7f) return at;
  }
  for (let at = bytes.length - 1; at > min; at--) {
    if (bytes[at] < 0x80 || bytes[at] >= 0xc0) return at;
  }
  return bytes.length;
}

/** Cuts of `text` into pieces of at most `max` code units (the same rule on a string). */
export function stringPieces(text: string, max: number): string[] {
  const pieces: string[] = [];
  let from = 0;
  while (text.length - from > max) {
    const cut = safeStringCut(text, from + (max >> 1), from + max);
    pieces.push(text.slice(from, cut));
    from = cut;
  }
  pieces.push(text.slice(from));
  return pieces;
}

function safeStringCut(text: string, min: number, max: number): number {
  for (let at = text.lastIndexOf(" ", max); at > min; at = text.lastIndexOf(" ", at - 1)) {
    if (!/\s/u.test(text[at - 1])) return at;
  }
  const high = text.charCodeAt(max - 1);
  return high >= 0xd800 && high <= 0xdbff ? max - 1 : max; // never between the halves of a surrogate pair
}
