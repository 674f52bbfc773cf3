/** A place in a source file. Lines and columns are 1-based, as editors show them. */
export interface Span {
  file: string;
  line: number;
  col: number;
  /** 0-based character offset of the first character. */
  offset: number;
  /** Number of characters covered (at least 1 for a caret to show). */
  length: number;
}

/** A source file as the compiler sees it: its name (as the user typed it) and text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** The span from the start of `a` to the end of `b`. */
export function joinSpans(a: Span, b: Span): Span {
  const end = Math.max(a.offset + a.length, b.offset + b.length);
  return { ...a, length: end - a.offset };
}
