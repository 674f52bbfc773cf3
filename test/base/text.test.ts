// Lossless bytes ↔ text (src/base/text.ts): well-formed UTF-8 decodes as usual,
// every other byte to one escape, and encoding gives back the very same bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { printable } from "../../src/base/messages.js";
import { Random } from "../../src/ir/random.js";
import { decodeLossless, encodeLossless, hasEscapedBytes } from "../../src/base/text.js";

const bytes = (...values: number[]) => Uint8Array.from(values);

test("UTF-8 decodes as UTF-8 and encodes back; no escapes", () => {
  const text = "model m { # é 😀 \u202e }\n";
  const encoded = new TextEncoder().encode(text);
  assert.equal(decodeLossless(encoded), text);
  assert.deepEqual(encodeLossless(text), encoded);
  assert.equal(hasEscapedBytes(text), false);
});

test("a Latin-1 byte, overlongs, surrogates and truncated sequences each become one escape, and round-trip", () => {
  const cases: [Uint8Array, string][] = [
    [bytes(0x23, 0x20, 0xe9, 0x0a), "# \udce9\n"], // Latin-1 é in a comment
    [bytes(0xc0, 0xaf), "\udcc0\udcaf"], // overlong '/'
    [bytes(0xed, 0xa0, 0x80), "\udced\udca0\udc80"], // an encoded surrogate is not UTF-8
    [bytes(0xe2, 0x82), "\udce2\udc82"], // truncated € (E2 82 AC)
    [bytes(0xf4, 0x90, 0x80, 0x80), "\udcf4\udc90\udc80\udc80"], // past U+10FFFF
    [bytes(0x41, 0xc3, 0xa9, 0xff, 0x42), "Aé\udcffB"], // valid é between ASCII and a stray byte
  ];
  for (const [input, text] of cases) {
    assert.equal(decodeLossless(input), text);
    assert.equal(hasEscapedBytes(text), true);
    assert.deepEqual(encodeLossless(text), input);
  }
  // A real astral character whose low surrogate lies in the escape range is not an escape.
  const astral = "\ud800\udc80"; // U+10080
  assert.equal(hasEscapedBytes(astral), false);
  assert.deepEqual(encodeLossless(astral), new TextEncoder().encode(astral));
});

test("any bytes at all round-trip (seeded random buffers)", () => {
  const random = new Random(5, "lossless");
  for (let n = 0; n < 500; n++) {
    const input = Uint8Array.from({ length: random.int(64) }, () => (random.int(3) === 0 ? random.int(128) : 128 + random.int(128)));
    assert.deepEqual(encodeLossless(decodeLossless(input)), input);
  }
});

test("printable: control characters become control pictures, escaped bytes \\xNN, bidi overrides \\u{…}", () => {
  assert.equal(printable("a\x1b[31mb\x07c\x00\x7f"), "a␛[31mb␇c␀␡");
  assert.equal(printable("tab\there\r\n"), "tab␉here␍␊");
  assert.equal(printable("# \udce9"), "# \\xE9");
  assert.equal(printable("x\u202ey\u0085"), "x\\u{202e}y\\u{85}");
  assert.equal(printable("é 😀 \ud800\udc80 plain"), "é 😀 \ud800\udc80 plain");
});
