// The syntax tree of a .mot file (LANGUAGE.md, "Grammar"). Every node keeps its
// span so that the checker can point at it and the formatter can find the
// comments and blank lines around it. Nothing here is resolved or checked.
import type { Span } from "./span.js";

export interface Ident {
  name: string;
  span: Span;
}

export type Expr =
  | { kind: "number"; value: number; /** as written: `250k`, `2e-3` */ image: string; span: Span }
  | { kind: "string"; value: string; image: string; span: Span }
  | { kind: "bool"; value: boolean; span: Span }
  | { kind: "name"; name: string; span: Span }
  | { kind: "call"; callee: Ident; args: Arg[]; span: Span }
  | { kind: "unary"; op: "-"; operand: Expr; span: Span }
  | { kind: "binary"; op: "+" | "-" | "*" | "/"; left: Expr; right: Expr; span: Span }
  | { kind: "paren"; expr: Expr; span: Span };

/** `name = expr` inside a layer call or a call expression. */
export interface Arg {
  name: Ident;
  value: Expr;
  span: Span;
}

export interface Assign {
  kind: "assign";
  key: Ident;
  value: Expr;
  span: Span;
}

export interface Let {
  kind: "let";
  name: Ident;
  value: Expr;
  span: Span;
}

export interface LayerCall {
  kind: "layer";
  name: Ident;
  args: Arg[];
  /** `ff` and `ff()` mean the same; the formatter keeps what was written. */
  parens: boolean;
  span: Span;
}

export interface Repeat {
  kind: "repeat";
  count: Expr;
  body: (LayerCall | Repeat)[];
  span: Span;
}

export interface Replace {
  kind: "replace";
  target: Ident;
  layer: LayerCall;
  span: Span;
}

export type ModelStmt = Assign | Let | LayerCall | Repeat | Replace;

export interface ModelDecl {
  kind: "model";
  name: Ident;
  parent?: Ident;
  body: ModelStmt[];
  span: Span;
}

export interface TrainDecl {
  kind: "train";
  name: Ident;
  body: (Assign | Let)[];
  span: Span;
}

export interface Comment {
  /** The text after `#`, without the line break. */
  text: string;
  span: Span;
}

export interface SpecFile {
  path: string;
  version?: { value: number; image: string; span: Span };
  decls: (ModelDecl | TrainDecl)[];
  comments: Comment[];
}
