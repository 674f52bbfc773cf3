// Lines as the lexer counts them (src/syntax/lines.ts): CR LF, a lone LF and a
// lone CR each end one line — for offsets, for the text of a line, and for the
// formatter's question "is there an empty line here?".
import assert from "node:assert/strict";
import { test } from "node:test";
import { LineIndex, hasBlankLine, isLineBreak } from "../../src/syntax/lines.js";

test("LF, CR LF, a lone CR and a mix: the same lines, positions and texts", () => {
  for (const text of ["ab\ncd\n\nef", "ab\r\ncd\r\n\r\nef", "ab\rcd\r\ref", "ab\r\ncd\r\nef".replace("\r\nef", "\n\ref")]) {
    const lines = new LineIndex(text);
    assert.deepEqual([1, 2, 3, 4].map((n) => lines.line(n)), ["ab", "cd", "", "ef"], JSON.stringify(text));
    assert.equal(lines.line(5), "");
    assert.deepEqual(lines.position(0), { line: 1, col: 1 });
    assert.deepEqual(lines.position(text.indexOf("d")), { line: 2, col: 2 });
    assert.deepEqual(lines.position(text.indexOf("e")), { line: 4, col: 1 });
    // The end of the text (where "found end of file" points) is a place on the last line.
    assert.deepEqual(lines.position(text.length), { line: 4, col: 3 });
  }
  // A break's own characters belong to the line they end.
  assert.deepEqual(new LineIndex("ab\r\ncd").position(3), { line: 1, col: 4 });
});

test("an empty line is two breaks with only blanks between; CR LF is one break, LF CR two", () => {
  assert.equal(hasBlankLine("x\r\ny"), false);
  assert.equal(hasBlankLine("x\r\n  \r\ny"), true);
  assert.equal(hasBlankLine("x\r\ry"), true);
  assert.equal(hasBlankLine("x\n\ry"), true);
  assert.equal(hasBlankLine("x\r \t\ny"), true);
  assert.equal(hasBlankLine("x\n # c\ny"), false);
  assert.deepEqual(["\n", "\r", " ", "\t", undefined].map(isLineBreak), [true, true, false, false, false]);
});
