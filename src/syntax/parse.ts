// Source text → syntax tree. The lexer and the parser live in grammar/; this
// file runs them, turns their errors into diagnostics (MOT001–MOT007), and
// builds the tree of ast.ts from the parser's concrete syntax tree.
import type { ILexingError, IRecognitionException, IToken } from "chevrotain";
import { LCurly, LParen, motLexer, Model, RCurly, RParen, Train } from "../../grammar/tokens.js";
import { describeToken, motParser } from "../../grammar/parser.js";
import type { Comment, SpecFile } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { SourceFile, Span } from "./span.js";
import { TreeBuilder, tokenSpan } from "./tree.js";

export interface ParseResult {
  /** The tree; partial (statements that could not be read are left out) when there are errors. */
  spec: SpecFile;
  /** Lexical and syntax errors, in source order. */
  diagnostics: Diagnostic[];
}

const treeBuilder = new TreeBuilder();

export function parseSpec(source: SourceFile): ParseResult {
  const lexed = motLexer.tokenize(source.text);
  const diagnostics: Diagnostic[] = lexed.errors.map((error) => lexicalError(source, error));
  const comments: Comment[] = (lexed.groups.comments ?? []).map((token) => ({
    text: token.image.slice(1).trimEnd(),
    span: tokenSpan(source.path, token),
  }));
  const spec: SpecFile = { path: source.path, decls: [], comments };

  // The parser recurses once per bracket; a few hundred levels would exhaust
  // the stack. No real spec nests more than a handful deep.
  const tooDeep = firstTooDeep(lexed.tokens);
  if (tooDeep) {
    diagnostics.push(diagnostic("MOT007", [MAX_NESTING], tokenSpan(source.path, tooDeep)));
    return { spec, diagnostics };
  }

  // A stray token between declarations ends the parser's top-level loop; the
  // parse resumes at the next `model` or `train` so that later errors are found too.
  const tokens = lexed.tokens;
  let start = 0;
  while (start <= tokens.length) {
    motParser.input = start === 0 ? tokens : tokens.slice(start);
    const cst = motParser.file();
    const part = treeBuilder.build(cst, source.path, diagnostics);
    if (start === 0) spec.version = part.version;
    spec.decls.push(...part.decls);

    let resumeAt = -1;
    for (const error of motParser.errors) {
      diagnostics.push(syntaxError(source, tokens, error));
      if (error.name === "NotAllInputParsedException") {
        resumeAt = nextDeclaration(tokens, tokens.indexOf(error.token, start) + 1);
      }
    }
    if (resumeAt < 0) break;
    start = resumeAt;
  }
  return { spec, diagnostics: dedupe(diagnostics).sort((a, b) => (a.span?.offset ?? 0) - (b.span?.offset ?? 0)) };
}

export const MAX_NESTING = 100;

/** The first `(` or `{` nested deeper than MAX_NESTING, if any. */
function firstTooDeep(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  for (const token of tokens) {
    if (token.tokenType === LParen || token.tokenType === LCurly) {
      if (++depth > MAX_NESTING) return token;
    } else if ((token.tokenType === RParen || token.tokenType === RCurly) && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

function nextDeclaration(tokens: IToken[], from: number): number {
  if (from <= 0) return -1;
  for (let i = from; i < tokens.length; i++) {
    if (tokens[i].tokenType === Model || tokens[i].tokenType === Train) return i;
  }
  return -1;
}

function lexicalError(source: SourceFile, error: ILexingError): Diagnostic {
  const span: Span = {
    file: source.path,
    line: error.line ?? 1,
    col: error.column ?? 1,
    offset: error.offset,
    length: Math.max(1, error.length),
  };
  return diagnostic("MOT001", [source.text.slice(error.offset, error.offset + error.length)], span);
}

function syntaxError(source: SourceFile, tokens: IToken[], error: IRecognitionException): Diagnostic {
  const token = error.token;
  const span = Number.isFinite(token.startOffset) ? tokenSpan(source.path, token) : endOfInput(source, tokens);
  return diagnostic("MOT003", [error.message, describeToken(token)], span);
}

/** Just after the last token: where "found end of file" points. */
function endOfInput(source: SourceFile, tokens: IToken[]): Span {
  const last = tokens[tokens.length - 1];
  if (!last) return { file: source.path, line: 1, col: 1, offset: 0, length: 1 };
  return {
    file: source.path,
    line: last.endLine ?? last.startLine ?? 1,
    col: (last.endColumn ?? last.startColumn ?? 0) + 1,
    offset: (last.endOffset ?? last.startOffset) + 1,
    length: 1,
  };
}

/** Recovery can report one place twice (e.g. a mismatch, then a re-sync); keep the first. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}:${d.span?.offset}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
