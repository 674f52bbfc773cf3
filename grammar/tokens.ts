// The tokens of the .mot language (LANGUAGE.md, "Lexical rules"), in the order
// the lexer tries them. Keywords come before Identifier and name it as their
// longer alternative, so `models` and `letter` stay identifiers.
import type { TokenType } from "chevrotain";
import { Lexer, createToken } from "./chevrotain.js";

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  // \uFEFF: a byte-order mark at the start of a file is not an error.
  pattern: /[ \t\r\n\uFEFF]+/,
  start_chars_hint: [" ", "\t", "\r", "\n", "\uFEFF"],
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/** Comments go to their own group: the parser never sees them, the formatter keeps them. */
export const Comment = createToken({
  name: "Comment",
  pattern: /#[^\r\n]*/,
  start_chars_hint: ["#"],
  line_breaks: false,
  group: "comments",
});

// Labels are what the syntax diagrams show: the EBNF's IDENT, NUMBER, STRING.
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  start_chars_hint: [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"],
  line_breaks: false,
  label: "IDENT",
});

function keyword(word: string): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: word,
    longer_alt: Identifier,
    label: `'${word}'`,
  });
}

export const Version = keyword("version");
export const Model = keyword("model");
export const Extends = keyword("extends");
export const Train = keyword("train");
export const Let = keyword("let");
export const Repeat = keyword("repeat");
export const Replace = keyword("replace");
export const With = keyword("with");
export const True = keyword("true");
export const False = keyword("false");

/**
 * A number as the lexer sees it: a digit, then anything a number could run on
 * into (`12kk`, `1e`, `3x`), so that a malformed number is one token with one
 * diagnostic (MOT005) rather than a number followed by a stray identifier. The
 * syntax tree builder checks the exact form (`12`, `0.5`, `2e-3`, `250k`, `10%`).
 */
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /\d(?:[eE][+-]|[A-Za-z0-9_.])*%?/,
  start_chars_hint: [..."0123456789"],
  line_breaks: false,
  label: "NUMBER",
});

/** `"..."` with `\"` and `\\` escapes; other escapes are caught by the tree builder. */
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  start_chars_hint: ['"'],
  line_breaks: false,
  label: "STRING",
});

/**
 * A string that reaches the end of its line. It counts as a string for the
 * parser (one diagnostic, MOT002, instead of a cascade of syntax errors).
 */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*\\?/,
  start_chars_hint: ['"'],
  line_breaks: false,
  categories: [StringLiteral],
  label: "STRING",
});

export const Equals = createToken({ name: "Equals", pattern: "=", label: "'='" });
export const Comma = createToken({ name: "Comma", pattern: ",", label: "','" });
export const LParen = createToken({ name: "LParen", pattern: "(", label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: ")", label: "')'" });
export const LCurly = createToken({ name: "LCurly", pattern: "{", label: "'{'" });
export const RCurly = createToken({ name: "RCurly", pattern: "}", label: "'}'" });
export const Plus = createToken({ name: "Plus", pattern: "+", label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: "-", label: "'-'" });
export const Star = createToken({ name: "Star", pattern: "*", label: "'*'" });
export const Slash = createToken({ name: "Slash", pattern: "/", label: "'/'" });

export const keywords = [Version, Model, Extends, Train, Let, Repeat, Replace, With, True, False];

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  ...keywords,
  Identifier,
  NumberLiteral,
  StringLiteral,
  UnterminatedString,
  Equals,
  Comma,
  LParen,
  RParen,
  LCurly,
  RCurly,
  Plus,
  Minus,
  Star,
  Slash,
];

/**
 * Built once. String patterns, start_chars_hint and explicit line_breaks let
 * Chevrotain skip analysing each regular expression: ~10 ms off every start.
 */
export const motLexer = new Lexer(allTokens, {
  positionTracking: "full",
  ensureOptimizations: true,
  skipValidations: process.env.MOTC_GRAMMAR_VALIDATE !== "1",
});
