// The parser's concrete syntax tree → the syntax tree of ast.ts, with exact
// spans. One visitor method per grammar rule (validateVisitor checks that none
// is missing). After error recovery a node may lack children: a statement whose
// required parts are missing is left out of the tree, and the recovery's own
// diagnostic says why.
import type { CstElement, CstNode, IToken } from "chevrotain";
import { motParser } from "../../grammar/parser.js";
import * as t from "../../grammar/tokens.js";
import type {
  Arg,
  Assign,
  Expr,
  Ident,
  LayerCall,
  Let,
  ModelDecl,
  ModelStmt,
  Repeat,
  Replace,
  SpecFile,
  TrainDecl,
} from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Span } from "./span.js";

type Children = Record<string, CstElement[] | undefined>;
type Decl = ModelDecl | TrainDecl;

export function tokenSpan(file: string, token: IToken): Span {
  return {
    file,
    line: token.startLine ?? 1,
    col: token.startColumn ?? 1,
    offset: token.startOffset,
    length: Math.max(1, (token.endOffset ?? token.startOffset) - token.startOffset + 1),
  };
}

/** From the start of `first` to the end of `last` (joinSpans without the object spread: this runs per node). */
function spanOver(first: Span, last: Span): Span {
  return {
    file: first.file,
    line: first.line,
    col: first.col,
    offset: first.offset,
    length: Math.max(first.length, last.offset + last.length - first.offset),
  };
}

/** A token that the parser really read (recovery may insert virtual ones). */
function real(token: IToken | undefined): token is IToken {
  return token !== undefined && !token.isInsertedInRecovery && Number.isFinite(token.startOffset);
}

// Under a label or rule name the CST holds only tokens or only nodes, so the
// casts below are safe; they keep these hot helpers free of shape checks.
function tokenOf(children: Children, key: string): IToken | undefined {
  const token = children[key]?.[0] as IToken | undefined;
  return real(token) ? token : undefined;
}

function nodeOf(children: Children, key: string): CstNode | undefined {
  return children[key]?.[0] as CstNode | undefined;
}

function nodesOf(children: Children, key: string): CstNode[] {
  return (children[key] ?? []) as CstNode[];
}

/** The first key of a node's children: for a rule that is one choice of several, the choice made. */
function firstKey(children: Children): string | undefined {
  for (const key in children) return key;
  return undefined;
}

const BaseVisitor = motParser.getBaseCstVisitorConstructor();

export class TreeBuilder extends BaseVisitor {
  private path = "";
  private diagnostics: Diagnostic[] = [];

  constructor() {
    super();
    this.validateVisitor();
  }

  /** Builds the tree of one parse; lexical-level problems found on the way go to `diagnostics`. */
  build(cst: CstNode, file: string, diagnostics: Diagnostic[]): Pick<SpecFile, "version" | "decls"> {
    this.path = file;
    this.diagnostics = diagnostics;
    return this.visit(cst) as Pick<SpecFile, "version" | "decls">;
  }

  private span(token: IToken): Span {
    return tokenSpan(this.path, token);
  }

  private ident(token: IToken | undefined): Ident | undefined {
    return token ? { name: token.image, span: this.span(token) } : undefined;
  }

  private child<T>(node: CstNode | undefined): T | undefined {
    return node ? (this.visit(node) as T | undefined) : undefined;
  }

  /** The trees of `nodes`, leaving out those recovery left incomplete. */
  private visitAll<T>(nodes: CstNode[]): T[] {
    const trees: T[] = [];
    for (const node of nodes) {
      const tree = this.visit(node) as T | undefined;
      if (tree !== undefined) trees.push(tree);
    }
    return trees;
  }

  file(children: Children): Pick<SpecFile, "version" | "decls"> {
    const result: Pick<SpecFile, "version" | "decls"> = { decls: [] };
    const keyword = tokenOf(children, "Version");
    const number = tokenOf(children, "NumberLiteral");
    if (keyword && number) {
      const value = this.number(number);
      if (value) result.version = { value: value.value, image: value.image, span: value.span };
    }
    for (const node of nodesOf(children, "declaration")) {
      const decl = this.child<Decl>(node);
      if (decl) result.decls.push(decl);
    }
    return result;
  }

  declaration(children: Children): Decl | undefined {
    const key = firstKey(children); // model or train
    return key === undefined ? undefined : this.child<Decl>(nodeOf(children, key));
  }

  model(children: Children): ModelDecl | undefined {
    const name = this.ident(tokenOf(children, "name"));
    if (!name) return undefined;
    const parent = tokenOf(children, "Extends") ? this.ident(tokenOf(children, "parent")) : undefined;
    const body = this.visitAll<ModelStmt>(nodesOf(children, "modelStatement"));
    const span = this.declarationSpan(children, "Model", name.span);
    return parent ? { kind: "model", name, parent, body, span } : { kind: "model", name, body, span };
  }

  /** From the keyword to the closing brace (or as far as the parser got). */
  private declarationSpan(children: Children, keyword: string, fallback: Span): Span {
    const first = tokenOf(children, keyword);
    const last = tokenOf(children, "RCurly");
    const start = first ? this.span(first) : fallback;
    return last ? spanOver(start, this.span(last)) : start;
  }

  modelStatement(children: Children): ModelStmt | undefined {
    const key = firstKey(children); // assign, let, layer, repeat or replace
    return key === undefined ? undefined : this.child<ModelStmt>(nodeOf(children, key));
  }

  train(children: Children): TrainDecl | undefined {
    const name = this.ident(tokenOf(children, "name"));
    if (!name) return undefined;
    const body = this.visitAll<Assign | Let>(nodesOf(children, "trainStatement"));
    return { kind: "train", name, body, span: this.declarationSpan(children, "Train", name.span) };
  }

  trainStatement(children: Children): Assign | Let | undefined {
    const key = firstKey(children); // assign or let
    return key === undefined ? undefined : this.child<Assign | Let>(nodeOf(children, key));
  }

  assign(children: Children): Assign | undefined {
    const key = this.ident(tokenOf(children, "key"));
    const value = this.child<Expr>(nodeOf(children, "expr"));
    if (!key || !value) return undefined;
    return { kind: "assign", key, value, span: spanOver(key.span, value.span) };
  }

  let(children: Children): Let | undefined {
    const keyword = tokenOf(children, "Let");
    const name = this.ident(tokenOf(children, "name"));
    const value = this.child<Expr>(nodeOf(children, "expr"));
    if (!keyword || !name || !value) return undefined;
    return { kind: "let", name, value, span: spanOver(this.span(keyword), value.span) };
  }

  layer(children: Children): LayerCall | undefined {
    const name = this.ident(tokenOf(children, "name"));
    if (!name) return undefined;
    const open = tokenOf(children, "LParen");
    const close = tokenOf(children, "RParen");
    const args = this.child<Arg[]>(nodeOf(children, "args")) ?? [];
    const span = close ? spanOver(name.span, this.span(close)) : name.span;
    return { kind: "layer", name, args, parens: open !== undefined, span };
  }

  repeat(children: Children): Repeat | undefined {
    const keyword = tokenOf(children, "Repeat");
    const count = this.child<Expr>(nodeOf(children, "count"));
    if (!keyword || !count) return undefined;
    const body = this.visitAll<LayerCall | Repeat>(nodesOf(children, "repeatStatement"));
    const close = tokenOf(children, "RCurly");
    const start = this.span(keyword);
    return { kind: "repeat", count, body, span: close ? spanOver(start, this.span(close)) : start };
  }

  repeatStatement(children: Children): LayerCall | Repeat | undefined {
    const key = firstKey(children); // layer or repeat
    return key === undefined ? undefined : this.child<LayerCall | Repeat>(nodeOf(children, key));
  }

  replace(children: Children): Replace | undefined {
    const keyword = tokenOf(children, "Replace");
    const target = this.ident(tokenOf(children, "target"));
    const layer = this.child<LayerCall>(nodeOf(children, "layer"));
    if (!keyword || !target || !layer) return undefined;
    return { kind: "replace", target, layer, span: spanOver(this.span(keyword), layer.span) };
  }

  args(children: Children): Arg[] {
    return this.visitAll<Arg>(nodesOf(children, "arg"));
  }

  arg(children: Children): Arg | undefined {
    const name = this.ident(tokenOf(children, "name"));
    const value = this.child<Expr>(nodeOf(children, "expr"));
    if (!name || !value) return undefined;
    return { name, value, span: spanOver(name.span, value.span) };
  }

  expr(children: Children): Expr | undefined {
    return this.leftAssociative(children, "term", ["Plus", "Minus"]);
  }

  term(children: Children): Expr | undefined {
    return this.leftAssociative(children, "unary", ["Star", "Slash"]);
  }

  /** `a - b + c` is `(a - b) + c`: operands and operators are kept apart in the CST, so merge them by position. */
  private leftAssociative(children: Children, operandKey: string, operatorKeys: string[]): Expr | undefined {
    const operandNodes = nodesOf(children, operandKey);
    if (operandNodes.length === 1) return this.child<Expr>(operandNodes[0]);
    const operands = operandNodes.map((node) => this.child<Expr>(node));
    const operators = operatorKeys
      .flatMap((key) => (children[key] ?? []) as IToken[])
      .filter(real)
      .sort((a, b) => a.startOffset - b.startOffset);
    let left = operands[0];
    for (let i = 0; i < operators.length && left; i++) {
      const right = operands[i + 1];
      if (!right) return undefined;
      const op = operators[i].image as "+" | "-" | "*" | "/";
      left = { kind: "binary", op, left, right, span: spanOver(left.span, right.span) };
    }
    return left;
  }

  unary(children: Children): Expr | undefined {
    const operand = this.child<Expr>(nodeOf(children, "atom"));
    const minus = tokenOf(children, "Minus");
    if (!operand || !minus) return operand;
    return { kind: "unary", op: "-", operand, span: spanOver(this.span(minus), operand.span) };
  }

  atom(children: Children): Expr | undefined {
    const key = firstKey(children);
    if (key === "call" || key === "paren") return this.child<Expr>(nodeOf(children, key));
    const token = key === undefined ? undefined : tokenOf(children, key);
    if (!token) return undefined;
    switch (key) {
      case "NumberLiteral":
        return this.number(token);
      case "StringLiteral":
        return this.string(token);
      case "True":
      case "False":
        return { kind: "bool", value: key === "True", span: this.span(token) };
      default:
        return { kind: "name", name: token.image, span: this.span(token) };
    }
  }

  call(children: Children): Expr | undefined {
    const callee = this.ident(tokenOf(children, "callee"));
    const close = tokenOf(children, "RParen");
    if (!callee || !close) return undefined;
    const args = this.child<Arg[]>(nodeOf(children, "args")) ?? [];
    return { kind: "call", callee, args, span: spanOver(callee.span, this.span(close)) };
  }

  paren(children: Children): Expr | undefined {
    const open = tokenOf(children, "LParen");
    const close = tokenOf(children, "RParen");
    const expr = this.child<Expr>(nodeOf(children, "expr"));
    if (!open || !close || !expr) return undefined;
    return { kind: "paren", expr, span: spanOver(this.span(open), this.span(close)) };
  }

  /** `12`, `0.5`, `2e-3`, `1.5E+2`, with an optional suffix k M G % (LANGUAGE.md, "Lexical rules"). */
  private number(token: IToken): Extract<Expr, { kind: "number" }> {
    const span = this.span(token);
    const value = numberValue(token.image);
    if (value === undefined) this.diagnostics.push(diagnostic("MOT005", [token.image], span));
    return { kind: "number", value: value ?? NaN, image: token.image, span };
  }

  private string(token: IToken): Extract<Expr, { kind: "string" }> {
    const span = this.span(token);
    const image = token.image;
    const closed = token.tokenType === t.StringLiteral && image.length >= 2;
    if (!closed) this.diagnostics.push(diagnostic("MOT002", [], span));
    const body = closed ? image.slice(1, -1) : image.slice(1);
    const value = body.replace(/\\(.?)/g, (escape: string, char: string, at: number) => {
      if (char === '"' || char === "\\") return char;
      const escapeSpan = { ...span, col: span.col + 1 + at, offset: span.offset + 1 + at, length: escape.length };
      if (closed || char !== "") this.diagnostics.push(diagnostic("MOT006", [char], escapeSpan));
      return char;
    });
    return { kind: "string", value, image, span };
  }
}

const suffixExponent: Record<string, number> = { "": 0, k: 3, M: 6, G: 9, "%": -2 };

/**
 * The value of a number literal, or undefined when it is malformed or not
 * finite. The suffix shifts the decimal exponent, so `1.1%` is exactly the
 * double nearest 0.011 (not 1.1 / 100, which rounds twice).
 */
export function numberValue(image: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?([kMG%]?)$/.exec(image);
  if (!match) return undefined;
  const exponent = Number(match[2] ?? "0") + suffixExponent[match[3]];
  const value = Number(`${match[1]}e${exponent}`);
  return Number.isFinite(value) ? value : undefined;
}
