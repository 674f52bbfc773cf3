// Cutting long documents into pieces: GPT-2's tokens of the pieces, joined, are
// the tokens of the whole (the cut is always where a pre-token ends), and a cut
// never splits a UTF-8 sequence or a surrogate pair.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { tokenizerNamed } from "../../src/base/tokenizer.js";
import { brownFiles, stripBrownTags } from "../../src/data/brown.js";
import { safeByteCut, stringPieces } from "../../src/data/pieces.js";

const text = brownFiles().slice(0, 12).map(({ file }) => stripBrownTags(readFileSync(file, "utf8"))).join("\n\n") +
  "\n\n  spaces  and\ttabs \n\n\n don't 'tis 3.14 — ünïcödé 😀 emoji 😀😀 end";

test("GPT-2 tokens of pieces of at most 300 code units equal those of the whole text", async () => {
  const gpt2 = await tokenizerNamed("gpt2");
  const pieces = stringPieces(text, 300);
  assert.ok(pieces.length > 400, `${pieces.length} pieces`);
  assert.ok(pieces.every((piece) => piece.length <= 300));
  assert.equal(pieces.join(""), text);
  assert.deepEqual(pieces.flatMap((piece) => gpt2.encode(piece)), gpt2.encode(text));
});

test("byte cuts fall before a space after printable ASCII, so the same holds for text files", async () => {
  const gpt2 = await tokenizerNamed("gpt2");
  const bytes = Buffer.from(text);
  const pieces: string[] = [];
  for (let from = 0; from < bytes.length; ) {
    const window = bytes.subarray(from, Math.min(bytes.length, from + 400));
    const cut = window.length < 400 ? window.length : safeByteCut(window, 200);
    assert.ok(cut === window.length || (window[cut] === 0x20 && window[cut - 1] > 0x20 && window[cut - 1] < 0x7f));
    pieces.push(window.subarray(0, cut).toString("utf8"));
    from += cut;
  }
  assert.equal(pieces.join(""), text);
  assert.deepEqual(pieces.flatMap((piece) => gpt2.encode(piece)), gpt2.encode(text));
});

test("without a space to cut at: a character boundary, never inside a UTF-8 sequence or surrogate pair", () => {
  const emoji = "😀".repeat(100); // 4 UTF-8 bytes, 2 UTF-16 code units each
  const bytes = Buffer.from(emoji);
  const cut = safeByteCut(bytes, 10);
  assert.equal(cut % 4, 0);
  assert.ok(cut > 10 && cut < bytes.length);
  const pieces = stringPieces(emoji, 51);
  assert.ok(pieces.every((piece) => piece.length % 2 === 0 && piece.length <= 51), pieces.map((p) => p.length).join(" "));
  assert.equal(pieces.join(""), emoji);
});
