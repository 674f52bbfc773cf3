// Shared by the dataset tests: small corpora written to a scratch directory,
// and the token ids of a prepared split read straight from its shard files.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareDataset, type PrepareOptions } from "../../src/data/prepare.js";
import type { DatasetManifest, SplitName } from "../../src/data/manifest.js";

export function scratchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `motc-${name}-`));
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The split's token stream: its shards' ids, concatenated in index order. */
export function splitTokens(dir: string, manifest: DatasetManifest, split: SplitName): number[] {
  return manifest.splits[split].shards.flatMap((shard) => {
    const bytes = readFileSync(join(dir, shard.file));
    const ids = manifest.dtype === "uint16"
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)
      : new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    return Array.from(ids);
  });
}

/** UTF-8 bytes of `text` as token ids (the bytes tokenizer). */
export function utf8(text: string): number[] {
  return Array.from(Buffer.from(text, "utf8"));
}

/** prepareDataset with the CLI's defaults (bytes, field text, the last 5% held out). */
export function prepare(inputs: string[], out: string, options: Partial<PrepareOptions> = {}) {
  return prepareDataset({
    inputs,
    out,
    tokenizer: "bytes",
    field: "text",
    split: { method: "tail", val: 0.05, seed: null },
    strict: false,
    force: false,
    ...options,
  });
}
