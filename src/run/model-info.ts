// What a compiled .onnx file says about itself, read without loading its weights:
// the ModelProto's `metadata_props` (motc.model, motc.tokenizer, motc.context, …).
// The file is scanned field by field with positioned reads, so the graph (and a
// 330 MB initializer block) is skipped, not parsed; a file that is not a valid
// protobuf ModelProto is reported here, before onnxruntime sees it.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { UserError, describeFsError } from "../base/errors.js";
import type { TokenizerName } from "../base/tokenizer.js";

/** The metadata motc writes into every compiled model (absent fields: not a motc model). */
export interface ModelInfo {
  path: string;
  /** Every metadata_props entry, as stored. */
  metadata: Map<string, string>;
  /** True when the file carries `motc.version` (compiled by motc). */
  fromMotc: boolean;
  name?: string;
  tokenizer?: TokenizerName;
  vocab?: number;
  context?: number;
  /** True when the file says it was compiled with --kv-cache. */
  kvCache: boolean;
  /** Nodes in the graph (counted, not decoded): what onnxruntime's time to open it grows with. */
  nodes: number;
}

// ModelProto and GraphProto field numbers (onnx.proto).
const GRAPH = 7;
const METADATA_PROPS = 14;
const GRAPH_NODE = 1;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

export function readModelInfo(path: string): ModelInfo {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new UserError("MOT201", [path, "is a directory"]);
    const { metadata, nodes } = scanModel(new FileReader(fd, fstatSync(fd).size), path);
    return describe(path, metadata, nodes);
  } finally {
    closeSync(fd);
  }
}

function describe(path: string, metadata: Map<string, string>, nodes: number): ModelInfo {
  const tokenizer = metadata.get("motc.tokenizer");
  const number = (key: string): number | undefined => {
    const text = metadata.get(key);
    const value = text === undefined ? NaN : Number(text);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  return {
    path,
    metadata,
    fromMotc: metadata.has("motc.version"),
    name: metadata.get("motc.model"),
    tokenizer: tokenizer === "bytes" || tokenizer === "gpt2" ? tokenizer : undefined,
    vocab: number("motc.vocab"),
    context: number("motc.context"),
    kvCache: ["true", "1", "yes"].includes(metadata.get("motc.kv_cache") ?? ""),
    nodes,
  };
}

/** Walks the top-level fields of a ModelProto, decoding only metadata_props, and counts the graph's nodes. */
function scanModel(reader: FileReader, path: string): { metadata: Map<string, string>; nodes: number } {
  const metadata = new Map<string, string>();
  let sawGraph = false;
  let nodes = 0;
  if (reader.size === 0) throw new UserError("MOT410", [path, "empty file"]);
  walkFields(reader, reader.size, path, (field, length) => {
    if (field === METADATA_PROPS) {
      const [k, v] = decodeEntry(reader.bytes(length));
      metadata.set(k, v);
    } else if (field === GRAPH) {
      sawGraph = true;
      // The graph's own fields: nodes are counted, everything (the weights too) skipped.
      walkFields(reader, reader.position + length, path, (inner, innerLength) => {
        if (inner === GRAPH_NODE) nodes++;
        reader.skip(innerLength);
      });
    } else {
      reader.skip(length);
    }
  });
  if (!sawGraph) throw new UserError("MOT410", [path, "no graph"]);
  return { metadata, nodes };
}

/**
 * Walks the protobuf fields from the reader's position to `end`, checking their
 * framing; `onLength` gets each length-delimited field with the reader at its
 * body, and must leave it at the body's end.
 */
function walkFields(reader: FileReader, end: number, path: string, onLength: (field: number, length: number) => void): void {
  const corrupt = (why: string) => new UserError("MOT410", [path, `${why} at byte ${reader.position}`]);
  while (reader.position < end) {
    const key = reader.varint();
    if (key === undefined) throw corrupt("truncated field header");
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw corrupt("field number 0");
    switch (wire) {
      case WIRE_VARINT:
        if (reader.varint() === undefined) throw corrupt("truncated number");
        break;
      case WIRE_FIXED64:
        reader.skip(8);
        break;
      case WIRE_FIXED32:
        reader.skip(4);
        break;
      case WIRE_LENGTH: {
        const length = reader.varint();
        if (length === undefined || reader.position + length > end) throw corrupt("length past the end of the file");
        onLength(field, length);
        break;
      }
      default:
        throw corrupt(`wire type ${wire}`);
    }
    if (reader.position > end) throw corrupt("truncated field");
  }
}

/** StringStringEntryProto { key = 1; value = 2 }. */
function decodeEntry(bytes: Uint8Array): [string, string] {
  const text = new TextDecoder();
  let key = "";
  let value = "";
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++] ?? 0;
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80 || at >= bytes.length) return result;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const length = tag % 8 === WIRE_LENGTH ? varint() : 0;
    const slice = bytes.subarray(at, at + length);
    at += length;
    if (tag >> 3 === 1) key = text.decode(slice);
    else if (tag >> 3 === 2) value = text.decode(slice);
  }
  return [key, value];
}

/**
 * Positioned reads over an open file through a small window (a graph of
 * 300,000 nodes is 600,000 field headers: one read each would be slow);
 * never holds more than the window and one field in memory.
 */
class FileReader {
  position = 0;
  private readonly window = new Uint8Array(64 * 1024);
  private windowStart = 0;
  private windowLength = 0;

  constructor(private readonly fd: number, readonly size: number) {}

  /** A base-128 varint, or undefined when the file ends inside it. */
  varint(): number | undefined {
    if (this.position < this.windowStart || this.position + 10 > this.windowStart + this.windowLength) {
      this.windowStart = this.position;
      this.windowLength = readSync(this.fd, this.window, 0, this.window.length, this.position);
    }
    const at = this.position - this.windowStart;
    const got = Math.min(10, this.windowLength - at);
    let result = 0;
    let scale = 1;
    for (let i = 0; i < got; i++) {
      const byte = this.window[at + i];
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        this.position += i + 1;
        return result;
      }
    }
    return undefined;
  }

  skip(length: number): void {
    this.position += length;
  }

  bytes(length: number): Uint8Array {
    const buffer = new Uint8Array(length);
    readSync(this.fd, buffer, 0, length, this.position);
    this.position += length;
    return buffer;
  }
}
