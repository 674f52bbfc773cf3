// Bytes ↔ text without losing a byte. A spec is UTF-8, but a comment may hold
// bytes that are not (a Latin-1 `é` pasted from an old file): decoding them
// to U+FFFD and writing the text back would destroy them. So, as Python's
// "surrogateescape" does, every byte that is not part of well-formed UTF-8
// decodes to a lone surrogate U+DC80–U+DCFF and encodes back to that byte.
// Well-formed UTF-8 never decodes to a surrogate, so the mapping is exact both
// ways: encodeLossless(decodeLossless(bytes)) is `bytes`.

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The first escaped byte's code point; byte b decodes to ESCAPE_BASE + b (b ≥ 0x80). */
const ESCAPE_BASE = 0xdc00;

export function decodeLossless(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeWithEscapes(bytes);
  }
}

/** An escaped byte: a lone low surrogate U+DC80–U+DCFF (not the second half of a pair). */
const ESCAPED_BYTE = /(?<![\ud800-\udbff])[\udc80-\udcff]/;

/** Whether `text` holds bytes that were not UTF-8 (see decodeLossless). */
export function hasEscapedBytes(text: string): boolean {
  return ESCAPED_BYTE.test(text);
}

export function encodeLossless(text: string): Uint8Array {
  const encoder = new TextEncoder();
  if (!hasEscapedBytes(text)) return encoder.encode(text);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const match of text.matchAll(new RegExp(ESCAPED_BYTE, "g"))) {
    parts.push(encoder.encode(text.slice(from, match.index)), Uint8Array.of(match[0].charCodeAt(0) - ESCAPE_BASE));
    from = match.index + 1;
  }
  parts.push(encoder.encode(text.slice(from)));
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** UTF-8 by the Unicode standard's table of well-formed sequences (3-7); any other byte is escaped. */
function decodeWithEscapes(bytes: Uint8Array): string {
  let text = "";
  let i = 0;
  while (i < bytes.length) {
    const length = wellFormedLength(bytes, i);
    if (length === 0) {
      text += String.fromCharCode(ESCAPE_BASE + bytes[i]);
      i++;
    } else {
      text += strict.decode(bytes.subarray(i, i + length));
      i += length;
    }
  }
  return text;
}

/** The length of the well-formed UTF-8 sequence at `i`, or 0 when the byte there does not start one. */
function wellFormedLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  const continuation = (k: number, low = 0x80, high = 0xbf) => i + k < bytes.length && bytes[i + k] >= low && bytes[i + k] <= high;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return continuation(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // E0: no overlong forms; ED: no surrogates.
    const second = b0 === 0xe0 ? continuation(1, 0xa0) : b0 === 0xed ? continuation(1, 0x80, 0x9f) : continuation(1);
    return second && continuation(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    // F0: no overlong forms; F4: nothing past U+10FFFF.
    const second = b0 === 0xf0 ? continuation(1, 0x90) : b0 === 0xf4 ? continuation(1, 0x80, 0x8f) : continuation(1);
    return second && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}
