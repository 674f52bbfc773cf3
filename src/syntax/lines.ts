// Lines of a source text, as the lexer counts them (grammar/tokens.ts): CR LF,
// a lone LF and a lone CR each end a line. Everything that turns an offset into
// a line, or a line into its text (the diagnostic printer, the formatter's
// blank-line and same-line tests, MOT044's position), asks here, so the caret
// always lands on the line the lexer meant.

/** Two line breaks (CR LF, a lone CR or a lone LF) with only blanks between them: an empty line. */
const BLANK_LINE = /(?:\r\n|\r(?!\n)|\n)[ \t\uFEFF]*(?:\r\n|\r(?!\n)|\n)/;

export function isLineBreak(char: string | undefined): boolean {
  return char === "\n" || char === "\r";
}

/** Whether `text` holds an empty line. */
export function hasBlankLine(text: string): boolean {
  return BLANK_LINE.test(text);
}

/**
 * Where each line of a text starts, found once; then line → text and offset →
 * line are a lookup (a spec with 100,000 diagnostics is printed in linear time).
 */
export class LineIndex {
  /** Offsets of the first character of each line, line 1 first. */
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char === 10 /* \n */) this.starts.push(i + 1);
      else if (char === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  /** The text of 1-based `line`, without its line break; "" past the end. */
  line(line: number): string {
    if (line < 1 || line > this.starts.length) return "";
    const start = this.starts[line - 1];
    let end = line < this.starts.length ? this.starts[line] : this.text.length;
    while (end > start && isLineBreak(this.text[end - 1])) end--;
    return this.text.slice(start, end);
  }

  /** The 1-based line and column of a 0-based offset. */
  position(offset: number): { line: number; col: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, col: offset - this.starts[low] + 1 };
  }
}
