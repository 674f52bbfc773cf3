// The canonical form of a .mot file (`motc fmt`). The tree is printed as a list
// of lines ("units": a statement, a block's opening line, its closing brace),
// each remembering the source range it came from; comments and blank lines are
// then woven back in by position:
// - 2-space indent, one statement per line, `key = value`, `name(a = 1, b = 2)`,
//   binary operators spaced (`4 * d_model`), unary minus tight (`-1`), no
//   trailing comma; numbers, strings, names and parentheses exactly as written.
// - A comment on its own line stays on its own line, indented with the code
//   around it. A comment after code on the same line stays there, one space
//   after it. A comment inside a statement that is folded onto one line moves
//   to its own line just above that statement.
// - One blank line where the source had one or more; none right after `{` or
//   right before `}`; always one after `version` and after each declaration.
// - An empty block is `{}`. The output ends with one newline.
import type { IToken } from "chevrotain";
import { motLexer } from "../../grammar/tokens.js";
import type { Arg, Comment, Expr, LayerCall, ModelStmt, Repeat, SpecFile } from "./ast.js";
import { hasErrors, type Diagnostic } from "./diagnostics.js";
import { hasBlankLine, isLineBreak } from "./lines.js";
import { parseSpec } from "./parse.js";
import type { SourceFile, Span } from "./span.js";

export interface FormatResult {
  /** The canonical text; the source text unchanged when it has syntax errors. */
  text: string;
  /** The parser's diagnostics: a file with errors is not formatted. */
  diagnostics: Diagnostic[];
}

export function formatSpec(source: SourceFile): FormatResult {
  const { spec, diagnostics } = parseSpec(source);
  if (hasErrors(diagnostics)) return { text: source.text, diagnostics };
  const tokens = motLexer.tokenize(source.text).tokens;
  const units = new UnitBuilder(tokens).file(spec);
  const text = weave(units, spec.comments, source.text);
  // A formatter bug must never rewrite a spec into one that means something else.
  const reparsed = parseSpec({ path: source.path, text }).spec;
  if (!sameTree(reparsed, spec)) throw new Error(`fmt would change the meaning of ${source.path}; the file is left as it is`);
  return { text, diagnostics };
}

/** Whether two syntax trees are equal, spans and the file path aside (iterative: operator chains run deep). */
export function sameTree(a: SpecFile, b: SpecFile): boolean {
  const pending: [unknown, unknown][] = [
    [a.decls, b.decls],
    [a.version?.image, b.version?.image],
    [a.comments.map((c) => c.text), b.comments.map((c) => c.text)],
  ];
  while (pending.length > 0) {
    const [x, y] = pending.pop()!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const keysX = Object.keys(x).filter((key) => key !== "span");
    const keysY = Object.keys(y).filter((key) => key !== "span");
    if (keysX.length !== keysY.length) return false;
    for (const key of keysX) {
      if (!Object.hasOwn(y, key)) return false;
      pending.push([(x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

// ---------------------------------------------------------------- expressions

export function printExpr(expr: Expr): string {
  switch (expr.kind) {
    case "number":
    case "string":
      return expr.image;
    case "bool":
      return String(expr.value);
    case "name":
      return expr.name;
    case "call":
      return `${expr.callee.name}(${printArgs(expr.args)})`;
    case "unary":
      return `-${printExpr(expr.operand)}`;
    case "binary": {
      // `a - b - c …` nests to the left as deep as the chain is long: walk
      // down the left spine in a loop rather than recursing.
      const rights: string[] = [];
      let left: Expr = expr;
      while (left.kind === "binary") {
        rights.push(`${left.op} ${printExpr(left.right)}`);
        left = left.left;
      }
      return [printExpr(left), ...rights.reverse()].join(" ");
    }
    case "paren":
      return `(${printExpr(expr.expr)})`;
  }
}

function printArgs(args: Arg[]): string {
  return args.map((arg) => `${arg.name.name} = ${printExpr(arg.value)}`).join(", ");
}

function printLayer(layer: LayerCall): string {
  return layer.parens ? `${layer.name.name}(${printArgs(layer.args)})` : layer.name.name;
}

// ---------------------------------------------------------------------- units

/** One output line of code and the source range [start, end) it was printed from. */
interface Unit {
  text: string;
  depth: number;
  start: number;
  end: number;
  /** "open" ends with `{`; "close" is a lone `}`; "last" is the end of a top-level item. */
  role: "open" | "close" | "line";
  topLevelEnd: boolean;
}

const end = (span: Span): number => span.offset + span.length;

class UnitBuilder {
  private readonly units: Unit[] = [];

  constructor(private readonly tokens: IToken[]) {}

  file(spec: SpecFile): Unit[] {
    if (spec.version) {
      const keyword = this.tokenBefore(spec.version.span.offset);
      this.push(`version ${spec.version.image}`, 0, keyword.startOffset, end(spec.version.span), "line", true);
    }
    for (const decl of spec.decls) {
      const header =
        decl.kind === "model"
          ? `model ${decl.name.name}${decl.parent ? ` extends ${decl.parent.name}` : ""}`
          : `train ${decl.name.name}`;
      const headerEnd = end(decl.kind === "model" && decl.parent ? decl.parent.span : decl.name.span);
      this.block(header, 0, decl.span.offset, headerEnd, end(decl.span), decl.body);
    }
    return this.units;
  }

  /** `header {`, the body one level deeper, `}`. */
  private block(header: string, depth: number, start: number, headerEnd: number, blockEnd: number, body: ModelStmt[]): void {
    const open = this.tokenAfter(headerEnd); // the `{`
    this.push(`${header} {`, depth, start, open.startOffset + 1, "open", false);
    for (const statement of body) this.statement(statement, depth + 1);
    this.push("}", depth, blockEnd - 1, blockEnd, "close", depth === 0);
  }

  private statement(statement: ModelStmt | Repeat, depth: number): void {
    const span = statement.span;
    switch (statement.kind) {
      case "assign":
        return this.push(`${statement.key.name} = ${printExpr(statement.value)}`, depth, span.offset, end(span));
      case "let":
        return this.push(`let ${statement.name.name} = ${printExpr(statement.value)}`, depth, span.offset, end(span));
      case "layer":
        return this.push(printLayer(statement), depth, span.offset, end(span));
      case "replace":
        return this.push(
          `replace ${statement.target.name} with ${printLayer(statement.layer)}`,
          depth,
          span.offset,
          end(span),
        );
      case "repeat":
        return this.block(`repeat ${printExpr(statement.count)}`, depth, span.offset, end(statement.count.span), end(span), statement.body);
    }
  }

  private push(text: string, depth: number, start: number, stop: number, role: Unit["role"] = "line", topLevelEnd = false): void {
    this.units.push({ text, depth, start, end: stop, role, topLevelEnd });
  }

  /** The first token at or after `offset`. */
  private tokenAfter(offset: number): IToken {
    let low = 0;
    let high = this.tokens.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.tokens[middle].startOffset < offset) low = middle + 1;
      else high = middle;
    }
    return this.tokens[low];
  }

  /** The token just before the one that starts at `offset`. */
  private tokenBefore(offset: number): IToken {
    const index = this.tokens.indexOf(this.tokenAfter(offset));
    return this.tokens[Math.max(0, index - 1)];
  }
}

// ------------------------------------------------------- comments and blanks

function weave(units: Unit[], comments: Comment[], text: string): string {
  const lines: string[] = [];
  let previousEnd = 0; // end of the source range of the last line written
  let afterOpen = false;
  let forceBlank = false;
  let next = 0; // next comment to place

  const emit = (line: string, depth: number, start: number, stop: number, closing: boolean): void => {
    const blank = forceBlank || (!afterOpen && !closing && lines.length > 0 && hasBlankLineBetween(text, previousEnd, start));
    if (blank) lines.push("");
    lines.push("  ".repeat(depth) + line);
    previousEnd = Math.max(previousEnd, stop);
    afterOpen = false;
    forceBlank = false;
  };

  units.forEach((unit, index) => {
    // Comments before this unit, and inside it (hoisted above the folded line).
    const commentDepth = unit.role === "close" ? unit.depth + 1 : unit.depth;
    while (next < comments.length && comments[next].span.offset < unit.end) {
      const comment = comments[next++];
      emit(`#${comment.text}`, commentDepth, comment.span.offset, end(comment.span), false);
    }
    // `{}` when a block has nothing inside.
    const previous = units[index - 1];
    const last = lines.length - 1;
    if (unit.role === "close" && afterOpen && previous?.role === "open" && lines[last].endsWith(" {")) {
      lines[last] += "}";
      previousEnd = unit.end;
      afterOpen = false;
    } else {
      emit(unit.text, unit.depth, unit.start, unit.end, unit.role === "close");
    }
    // A comment on the same line, after the code and before the next unit.
    const following = units[index + 1]?.start ?? Infinity;
    const comment = comments[next];
    if (comment && comment.span.offset < following && sameLine(text, unit.end - 1, comment.span.offset)) {
      lines[lines.length - 1] += ` #${comment.text}`;
      previousEnd = end(comment.span);
      next++;
    }
    afterOpen = unit.role === "open";
    if (unit.topLevelEnd) forceBlank = true;
  });
  for (; next < comments.length; next++) {
    const comment = comments[next];
    emit(`#${comment.text}`, 0, comment.span.offset, end(comment.span), false);
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

/** Whether the source between two offsets holds an empty line. */
function hasBlankLineBetween(text: string, from: number, to: number): boolean {
  return to > from && hasBlankLine(text.slice(from, to));
}

function sameLine(text: string, a: number, b: number): boolean {
  const from = Math.min(a, b);
  const to = Math.max(a, b);
  for (let i = from; i < to; i++) if (isLineBreak(text[i])) return false;
  return true;
}
