// The .mot grammar (LANGUAGE.md, "Grammar (EBNF)") as one Chevrotain CstParser.
// LL(2) — `IDENT =` (an assignment) and `IDENT` / `IDENT(` (a layer, or a name
// and a call in expressions) are the only places that need a second token — and
// no backtracking. Rule names follow the EBNF so that the syntax diagrams read
// like LANGUAGE.md.
import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { CstParser } from "./chevrotain.js";
import * as t from "./tokens.js";

/** What a token is called in "expected X, found Y". */
export function describeToken(token: IToken): string {
  if (token.tokenType.name === "EOF") return "end of file";
  if (token.tokenType === t.Identifier) return `'${token.image}'`;
  if (token.tokenType === t.NumberLiteral) return `number '${token.image}'`;
  if (token.tokenType === t.StringLiteral || token.tokenType === t.UnterminatedString) return "a string";
  return `'${token.image}'`;
}

function describeType(type: TokenType): string {
  if (type === t.Identifier) return "a name";
  if (type === t.NumberLiteral) return "a number";
  if (type === t.StringLiteral) return "a string";
  // Only the top level is followed by the end of the file.
  if (type.name === "EOF") return "'model' or 'train'";
  return type.LABEL ?? type.name;
}

function oneOf(descriptions: string[]): string {
  const unique = [...new Set(descriptions)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

/** What a rule expects when none of its alternatives fit, in the user's words. */
const ruleExpectations: Record<string, string> = {
  atom: "an expression",
  unary: "an expression",
  modelStatement: "a key, a layer, 'let', 'repeat' or 'replace'",
  repeatStatement: "a layer or 'repeat'",
  declaration: "'model' or 'train'",
  trainStatement: "a key or 'let'",
};

/**
 * Messages carry only the "expected" part; the syntax tree builder adds "found
 * Y" and the span from the offending token (see src/syntax/parse.ts).
 */
/** A block's closing brace is expected where its body could also go on. */
const blockEndExpectations: Record<string, string> = {
  model: "a key, a layer, 'let', 'repeat', 'replace' or '}'",
  train: "a key, 'let' or '}'",
  repeat: "a layer, 'repeat' or '}'",
};

/** What may come where an argument list could close. */
function argumentListExpectation(previous: IToken): string {
  const afterSeparator = previous.tokenType === t.LParen || previous.tokenType === t.Comma;
  return afterSeparator ? "an argument or ')'" : "',' or ')'";
}

const expectations: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName, previous }) => {
    if (expected === t.RCurly && blockEndExpectations[ruleName]) return blockEndExpectations[ruleName];
    if (expected === t.RParen && (ruleName === "layer" || ruleName === "call")) return argumentListExpectation(previous);
    return describeType(expected);
  },
  buildNotAllInputParsedMessage: () => "'model' or 'train'",
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    ruleExpectations[ruleName] ?? oneOf(expectedPathsPerAlt.flat().map((path) => describeType(path[0]))),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    ruleExpectations[ruleName] ?? oneOf(expectedIterationPaths.map((path) => describeType(path[0]))),
};

export class MotParser extends CstParser {
  constructor(options: { validate?: boolean } = {}) {
    super(t.allTokens, {
      maxLookahead: 2,
      nodeLocationTracking: "full",
      recoveryEnabled: true,
      errorMessageProvider: expectations,
      skipValidations: !options.validate,
    });
    this.performSelfAnalysis();
  }

  // file = [ "version" INT ] { model | train } ;
  file = this.RULE("file", () => {
    this.OPTION(() => {
      this.CONSUME(t.Version);
      this.CONSUME(t.NumberLiteral);
    });
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.model) },
      { ALT: () => this.SUBRULE(this.train) },
    ]);
  });

  // model = "model" IDENT [ "extends" IDENT ] "{" { mstmt } "}" ;
  model = this.RULE("model", () => {
    this.CONSUME(t.Model);
    this.CONSUME1(t.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(t.Extends);
      this.CONSUME2(t.Identifier, { LABEL: "parent" });
    });
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.modelStatement));
    this.CONSUME(t.RCurly);
  });

  // mstmt = assign | let | layer | repeat | replace ;
  modelStatement = this.RULE("modelStatement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.assign) },
      { ALT: () => this.SUBRULE(this.let) },
      { ALT: () => this.SUBRULE(this.layer) },
      { ALT: () => this.SUBRULE(this.repeat) },
      { ALT: () => this.SUBRULE(this.replace) },
    ]);
  });

  // train = "train" IDENT "{" { assign | let } "}" ;
  train = this.RULE("train", () => {
    this.CONSUME(t.Train);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.trainStatement));
    this.CONSUME(t.RCurly);
  });

  trainStatement = this.RULE("trainStatement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.assign) },
      { ALT: () => this.SUBRULE(this.let) },
    ]);
  });

  // assign = IDENT "=" expr ;
  assign = this.RULE("assign", () => {
    this.CONSUME(t.Identifier, { LABEL: "key" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expr);
  });

  // let = "let" IDENT "=" expr ;
  let = this.RULE("let", () => {
    this.CONSUME(t.Let);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expr);
  });

  // layer = IDENT [ "(" [ args ] ")" ] ;
  layer = this.RULE("layer", () => {
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(t.LParen);
      this.OPTION1(() => this.SUBRULE(this.args));
      this.CONSUME(t.RParen);
    });
  });

  // repeat = "repeat" expr "{" { layer | repeat } "}" ;
  repeat = this.RULE("repeat", () => {
    this.CONSUME(t.Repeat);
    this.SUBRULE(this.expr, { LABEL: "count" });
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.repeatStatement));
    this.CONSUME(t.RCurly);
  });

  repeatStatement = this.RULE("repeatStatement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.layer) },
      { ALT: () => this.SUBRULE(this.repeat) },
    ]);
  });

  // replace = "replace" IDENT "with" layer ;
  replace = this.RULE("replace", () => {
    this.CONSUME(t.Replace);
    this.CONSUME(t.Identifier, { LABEL: "target" });
    this.CONSUME(t.With);
    this.SUBRULE(this.layer);
  });

  // args = arg { "," arg } [ "," ] ;
  args = this.RULE("args", () => {
    this.SUBRULE(this.arg);
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.SUBRULE1(this.arg);
    });
    this.OPTION(() => this.CONSUME1(t.Comma, { LABEL: "trailingComma" }));
  });

  // arg = IDENT "=" expr ;
  arg = this.RULE("arg", () => {
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expr);
  });

  // expr = term { ( "+" | "-" ) term } ;
  expr = this.RULE("expr", () => {
    this.SUBRULE(this.term);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Plus) }, { ALT: () => this.CONSUME(t.Minus) }]);
      this.SUBRULE1(this.term);
    });
  });

  // term = unary { ( "*" | "/" ) unary } ;
  term = this.RULE("term", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Star) }, { ALT: () => this.CONSUME(t.Slash) }]);
      this.SUBRULE1(this.unary);
    });
  });

  // unary = [ "-" ] atom ;
  unary = this.RULE("unary", () => {
    this.OPTION(() => this.CONSUME(t.Minus));
    this.SUBRULE(this.atom);
  });

  // atom = NUMBER | STRING | "true" | "false" | IDENT | call | "(" expr ")" ;
  atom = this.RULE("atom", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.NumberLiteral) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      { ALT: () => this.CONSUME(t.True) },
      { ALT: () => this.CONSUME(t.False) },
      // call before name: `IDENT (` is a call, a lone IDENT a name.
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.CONSUME(t.Identifier) },
      { ALT: () => this.SUBRULE(this.paren) },
    ]);
  });

  // call = IDENT "(" [ args ] ")" ;
  call = this.RULE("call", () => {
    this.CONSUME(t.Identifier, { LABEL: "callee" });
    this.CONSUME(t.LParen);
    this.OPTION(() => this.SUBRULE(this.args));
    this.CONSUME(t.RParen);
  });

  paren = this.RULE("paren", () => {
    this.CONSUME(t.LParen);
    this.SUBRULE(this.expr);
    this.CONSUME(t.RParen);
  });
}

/** The one parser instance (building one analyses the whole grammar). */
export const motParser = new MotParser();
