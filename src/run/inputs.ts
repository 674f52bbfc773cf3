// Token ids from the user, checked before they reach onnxruntime (whose own
// errors for a bad Gather index or a ragged batch are neither clear nor safe).
import { UserError } from "../base/errors.js";
import { counted } from "../base/messages.js";

/** A batch of token-id sequences, all the same length. */
export type Batch = number[][];

/** What a model accepts: ids in [0, vocab), at most `context` positions. */
export interface InputLimits {
  vocab?: number;
  context?: number;
}

/** Parses `--ids`: a JSON array of ids (one sequence) or an array of arrays (a batch). */
export function parseIds(json: string): Batch {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new UserError("MOT430", [truncate(json)]);
  }
  if (!Array.isArray(value) || value.length === 0) throw new UserError("MOT431");
  const arrays = value.filter((row) => Array.isArray(row)).length;
  if (arrays > 0 && arrays < value.length) throw new UserError("MOT432");
  const batch = arrays > 0 ? (value as unknown[][]) : [value];
  for (const [b, row] of batch.entries()) {
    for (const [t, id] of row.entries()) {
      if (typeof id !== "number" || !Number.isInteger(id)) {
        throw new UserError("MOT433", [b, t, JSON.stringify(id)]);
      }
    }
  }
  return batch as Batch;
}

/** Checks shape and range; throws a UserError naming the first offending position. */
export function validateBatch(batch: Batch, limits: InputLimits): void {
  if (batch.length === 0) throw new UserError("MOT434");
  const length = batch[0].length;
  if (length === 0) throw new UserError("MOT435");
  for (const [b, row] of batch.entries()) {
    if (row.length !== length) {
      throw new UserError("MOT436", [b, counted(row.length, "token"), length]);
    }
  }
  if (limits.context !== undefined && length > limits.context) {
    throw new UserError("MOT437", [length, limits.context]);
  }
  for (const [b, row] of batch.entries()) {
    for (const [t, id] of row.entries()) {
      if (id < 0 || (limits.vocab !== undefined && id >= limits.vocab)) {
        const range = limits.vocab === undefined ? "ids must be >= 0" : `the vocabulary is [0, ${limits.vocab})`;
        throw new UserError("MOT438", [id, b, t, range]);
      }
    }
  }
}

/** The batch as `input_ids`' data: int64, row-major [B, T]. */
export function idsData(batch: Batch): { data: BigInt64Array; dims: [number, number] } {
  const length = batch[0]?.length ?? 0;
  const data = new BigInt64Array(batch.length * length);
  batch.forEach((row, b) => row.forEach((id, t) => (data[b * length + t] = BigInt(id))));
  return { data, dims: [batch.length, length] };
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
