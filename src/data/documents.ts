// Input files → documents, streamed: a text file is one document, yielded in
// pieces of about a MiB cut where no tokenizer joins across the cut; a JSON-lines
// file is one document per record (its `--field`). Memory stays bounded by the
// piece size and the longest line (MAX_LINE_BYTES), whatever the file's size.
//
// Bad input is repaired and counted in `skipped` (README.md lists the keys), or
// with `strict` fails on the first instance, naming file:line.
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { pipeline, Transform, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { UserError, describeFsError } from "../base/errors.js";
import { stripBrownTags } from "./brown.js";

import type { InputFile } from "./inputs.js";
import type { Skipped, SourceEntry } from "./manifest.js";
import { safeByteCut } from "./pieces.js";

/** A text file's pieces are about this long. */
export const PIECE_BYTES = 1 << 20;
/** A JSON line longer than this is skipped, counted as too_long (with --strict: MOT607). */
export const MAX_LINE_BYTES = 64 << 20;

/** Part of a document: valid UTF-8 bytes or a string; `last` ends the document. */
export interface DocumentPiece {
  content: Uint8Array | string;
  last: boolean;
}

export interface ReadOptions {
  field: string;
  /** Longer JSON lines are skipped (tests lower it). */
  maxLineBytes: number;
  strict: boolean;
  skipped: Skipped;
  /** Called with each chunk's size as the file is read (for progress). */
  onBytes: (bytes: number) => void;
}

/**
 * The documents of one input file. When the generator is done, `source` holds
 * the file's path, size and sha256 (of its bytes on disk).
 */
export async function* readDocuments(input: InputFile, options: ReadOptions, source: SourceEntry): AsyncGenerator<DocumentPiece> {
  if (input.format === "brown") {
    const bytes = readBytes(input.file);
    Object.assign(source, { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    options.onBytes(bytes.length);
    yield { content: stripBrownTags(bytes.toString("utf8")), last: true };
    return;
  }
  const hash = createHash("sha256");
  let size = 0;
  const tally = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      options.onBytes(chunk.length);
      done(null, chunk);
    },
  });
  const raw = createReadStream(input.file, { highWaterMark: 1 << 20 });
  const body: Readable = input.gzip
    ? pipeline(raw, tally, createGunzip({ chunkSize: 1 << 18 }), () => {})
    : pipeline(raw, tally, () => {});
  const read = input.format === "jsonl" ? jsonLines(input, body, options) : textPieces(input, body, options);
  try {
    yield* read;
  } catch (error) {
    throw readFailure(input, error);
  } finally {
    body.destroy();
  }
  Object.assign(source, { bytes: size, sha256: hash.digest("hex") });
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UserError("MOT201", [file, describeFsError(error)]);
  }
}

/** A stream's failure as one coded line: gzip's own errors say the file is truncated or corrupt. */
function readFailure(input: InputFile, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (error instanceof UserError || typeof code !== "string") return error; // ours already, or a bug
  if (code.startsWith("Z_")) return new UserError("MOT603", [input.path, (error as Error).message]);
  return new UserError("MOT201", [input.path, describeFsError(error)]);
}

/** A plain text file as one document, in pieces of about PIECE_BYTES cut at safe places. */
async function* textPieces(input: InputFile, body: Readable, options: ReadOptions): AsyncGenerator<DocumentPiece> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let total = 0;
  const position = { line: 1 };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    held.push(chunk);
    heldBytes += chunk.length;
    total += chunk.length;
    if (heldBytes < PIECE_BYTES) continue;
    const bytes = Buffer.concat(held, heldBytes);
    const cut = safeByteCut(bytes, PIECE_BYTES >> 1);
    yield { content: validText(input, bytes.subarray(0, cut), position, options), last: false };
    held = [bytes.subarray(cut)];
    heldBytes = bytes.length - cut;
  }
  if (total === 0) throw new UserError("MOT602", [input.path]);
  yield { content: validText(input, Buffer.concat(held, heldBytes), position, options), last: true };
}

/** The piece's bytes when they are UTF-8; else with each bad sequence replaced (counted), or the strict error. */
function validText(input: InputFile, bytes: Buffer, position: { line: number }, options: ReadOptions): Uint8Array {
  const lineAt = options.strict ? position.line : 0;
  if (options.strict) position.line += countByte(bytes, 0x0a, bytes.length);
  if (isUtf8(bytes)) return bytes;
  const { text, replaced } = replaceInvalid(bytes);
  if (options.strict) throw new UserError("MOT604", [input.path, lineAt + countByte(bytes, 0x0a, firstInvalidByte(bytes, text))]);
  options.skipped.invalid_utf8 += replaced;
  return Buffer.from(text, "utf8");
}

/**
 * Lossy decoding (each maximal bad subsequence → U+FFFD, as WHATWG says) and the
 * number of replacements: the U+FFFD in the text that were not EF BF BD in the input.
 */
export function replaceInvalid(bytes: Buffer): { text: string; replaced: number } {
  const text = bytes.toString("utf8");
  return { text, replaced: text.split("\uFFFD").length - 1 - countSequence(bytes, REPLACEMENT_CHARACTER) };
}

const REPLACEMENT_CHARACTER = Buffer.from([0xef, 0xbf, 0xbd]);

/** Byte offset of the first bad sequence: up to it, text and bytes correspond one to one. */
export function firstInvalidByte(bytes: Buffer, text: string): number {
  for (let at = text.indexOf("\uFFFD"); at >= 0; at = text.indexOf("\uFFFD", at + 1)) {
    const offset = Buffer.byteLength(text.slice(0, at));
    if (bytes.compare(REPLACEMENT_CHARACTER, 0, 3, offset, offset + 3) !== 0) return offset;
  }
  return bytes.length;
}

function countSequence(bytes: Buffer, sequence: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(sequence); at >= 0; at = bytes.indexOf(sequence, at + sequence.length)) count++;
  return count;
}

function countByte(bytes: Buffer, byte: number, end: number): number {
  let count = 0;
  for (let at = bytes.indexOf(byte); at >= 0 && at < end; at = bytes.indexOf(byte, at + 1)) count++;
  return count;
}

/** JSON lines: one document per record's `field`; bad records skipped and counted, or the strict error. */
async function* jsonLines(input: InputFile, body: Readable, options: ReadOptions): AsyncGenerator<DocumentPiece> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let tooLong = false;
  let line = 0;
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    let from = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, from)) {
      line += 1;
      const piece = chunk.subarray(from, newline);
      if (!tooLong && heldBytes + piece.length <= options.maxLineBytes) {
        const text = record(input, held.length === 0 ? piece : Buffer.concat([...held, piece]), line, options);
        if (text !== undefined) yield { content: text, last: true };
      } else {
        skipLongLine(input, line, options);
      }
      held = [];
      heldBytes = 0;
      tooLong = false;
      from = newline + 1;
    }
    if (from < chunk.length && !tooLong) {
      held.push(chunk.subarray(from));
      heldBytes += chunk.length - from;
      if (heldBytes > options.maxLineBytes) [held, heldBytes, tooLong] = [[], 0, true];
    }
  }
  if (total === 0) throw new UserError("MOT602", [input.path]);
  if (tooLong) skipLongLine(input, line + 1, options);
  else if (heldBytes > 0) {
    const text = record(input, Buffer.concat(held, heldBytes), line + 1, options);
    if (text !== undefined) yield { content: text, last: true };
  }
}

function skipLongLine(input: InputFile, line: number, options: ReadOptions): void {
  if (options.strict) throw new UserError("MOT607", [input.path, line, options.maxLineBytes]);
  options.skipped.too_long += 1;
}

/** The text of one JSON line, or undefined when it is blank or skipped. */
function record(input: InputFile, bytes: Buffer, line: number, options: ReadOptions): string | undefined {
  let json: string;
  if (isUtf8(bytes)) json = bytes.toString("utf8");
  else {
    const repaired = replaceInvalid(bytes);
    if (options.strict) throw new UserError("MOT604", [input.path, line]);
    options.skipped.invalid_utf8 += repaired.replaced;
    json = repaired.text;
  }
  if (json.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    if (options.strict) throw new UserError("MOT605", [input.path, line]);
    options.skipped.invalid_json += 1;
    return undefined;
  }
  const text = Object.hasOwn(value, options.field) ? (value as Record<string, unknown>)[options.field] : undefined;
  if (typeof text !== "string") {
    if (options.strict) throw new UserError("MOT606", [input.path, line, options.field]);
    options.skipped.missing_field += 1;
    return undefined;
  }
  if (text === "") {
    if (options.strict) throw new UserError("MOT609", [input.path, line]);
    options.skipped.empty += 1;
    return undefined;
  }
  // "\ud800" escapes: lone surrogates have no UTF-8; each becomes U+FFFD, counted as invalid text.
  const lone = text.match(LONE_SURROGATE)?.length ?? 0;
  if (lone === 0) return text;
  if (options.strict) throw new UserError("MOT604", [input.path, line]);
  options.skipped.invalid_utf8 += lone;
  return text.replace(LONE_SURROGATE, "\uFFFD");
}

/** With the u flag a surrogate pair is one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;
