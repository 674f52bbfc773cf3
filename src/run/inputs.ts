// Token ids from the user, checked before they reach onnxruntime (whose own
// errors for a bad Gather index or a ragged batch are neither clear nor safe).
import { UserError } from "../base/errors.js";

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
    throw new UserError(`--ids is not valid JSON: ${truncate(json)}`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new UserError("--ids must be a non-empty JSON array of token ids, or an array of such arrays");
  const batch = value.every((row) => Array.isArray(row)) ? (value as unknown[][]) : [value];
  for (const [b, row] of batch.entries()) {
    if (!Array.isArray(row)) throw new UserError("--ids mixes ids and arrays: give one array of ids, or an array of arrays");
    for (const [t, id] of row.entries()) {
      if (typeof id !== "number" || !Number.isInteger(id)) {
        throw new UserError(`--ids: sequence ${b}, position ${t}: ${JSON.stringify(id)} is not an integer token id`);
      }
    }
  }
  return batch as Batch;
}

/** Checks shape and range; throws a UserError naming the first offending position. */
export function validateBatch(batch: Batch, limits: InputLimits): void {
  if (batch.length === 0) throw new UserError("no sequences to run");
  const length = batch[0].length;
  if (length === 0) throw new UserError("empty sequence: give at least one token");
  for (const [b, row] of batch.entries()) {
    if (row.length !== length) {
      throw new UserError(`ragged batch: sequence ${b} has ${row.length} token${row.length === 1 ? "" : "s"} but sequence 0 has ${length} (all must be the same length)`);
    }
  }
  if (limits.context !== undefined && length > limits.context) {
    throw new UserError(`sequence of ${length} tokens is longer than the model's context of ${limits.context}`);
  }
  for (const [b, row] of batch.entries()) {
    for (const [t, id] of row.entries()) {
      if (id < 0 || (limits.vocab !== undefined && id >= limits.vocab)) {
        const range = limits.vocab === undefined ? "ids must be >= 0" : `the vocabulary is [0, ${limits.vocab})`;
        throw new UserError(`token id ${id} at sequence ${b}, position ${t} is out of range (${range})`);
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
