// Checking JSON that motc reads back (a checkpoint's manifest, its trainer
// state) against a small declarative schema, so a file that was edited, torn or
// written by something else is refused naming the field, never trusted:
//   params[3].offset: must be a non-negative integer, got -8
// A schema is built from the combinators below and its TypeScript type is
// inferred from it (`Infer<typeof schema>`), so adding, removing or changing a
// field is one line. Objects may carry keys the schema does not name (a newer
// writer's additions); only the named ones are checked and returned.

/** What a value failed: where (`params[3].offset`), what it must be, and what it was. */
export class SchemaViolation extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${path || "the file"}: must be ${expected}, got ${got}`);
  }
}

export interface Schema<T> {
  /** Returns the value, typed, or throws a SchemaViolation naming `path`. */
  check(value: unknown, path: string): T;
  /** Whether an object may lack this key (see `optional`). */
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Checks `value` against `schema`; violations name fields from the root. */
export function validate<T>(schema: Schema<T>, value: unknown): T {
  return schema.check(value, "");
}

/** A value as a message shows it: short JSON, "nothing" for a missing one. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function schema<T>(expected: string, test: (value: unknown) => boolean): Schema<T> {
  return {
    check(value, path) {
      if (!test(value)) throw new SchemaViolation(path, expected, describeValue(value));
      return value as T;
    },
  };
}

export const string = schema<string>("a string", (v) => typeof v === "string");
/** A string a message may echo: no control characters (a newline would split the one-line message, ESC would reach the terminal). */
export const printable = schema<string>("a string without control characters", (v) => typeof v === "string" && !/[\u0000-\u001f\u007f-\u009f]/.test(v));
export const boolean = schema<boolean>("true or false", (v) => typeof v === "boolean");
/** A finite number (JSON has no NaN or Infinity, but a hand-edited file may say 1e999). */
export const number = schema<number>("a finite number", (v) => typeof v === "number" && Number.isFinite(v));
export const positiveNumber = schema<number>("a positive number", (v) => typeof v === "number" && Number.isFinite(v) && v > 0);
export const nonNegativeNumber = schema<number>("a non-negative number", (v) => typeof v === "number" && Number.isFinite(v) && v >= 0);
export const nonNegativeInteger = schema<number>("a non-negative integer", (v) => Number.isSafeInteger(v) && (v as number) >= 0);
export const positiveInteger = schema<number>("a positive integer", (v) => Number.isSafeInteger(v) && (v as number) > 0);
/** 64 hex digits. */
export const sha256Hex = schema<string>("a sha256 in hex (64 digits)", (v) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v));

/** Exactly one of `values`. */
export function oneOf<const V extends readonly (string | number | boolean)[]>(...values: V): Schema<V[number]> {
  const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
  return schema<V[number]>(expected, (v) => values.includes(v as V[number]));
}

/** An array whose every item matches `item`; `minLength` items at least. */
export function arrayOf<T>(item: Schema<T>, minLength = 0): Schema<T[]> {
  return {
    check(value, path) {
      const expected = minLength > 0 ? `an array of at least ${minLength}` : "an array";
      if (!Array.isArray(value) || value.length < minLength) throw new SchemaViolation(path, expected, describeValue(value));
      return value.map((v, i) => item.check(v, `${path}[${i}]`));
    },
  };
}

/** A schema an object may leave out (see `optional`). */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

/** The key may be absent (or null); the rest of the time it must match `inner`. */
export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    check: (value, path) => (value === undefined || value === null ? undefined : inner.check(value, path)),
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> };

/** A JSON object with (at least) these keys; only they are returned. */
export function object<S extends Shape>(shape: S): Schema<{ [K in keyof ObjectOf<S>]: ObjectOf<S>[K] }> {
  return {
    check(value, path) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new SchemaViolation(path, "an object", describeValue(value));
      const result: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(shape)) {
        const checked = field.check((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
        if (checked !== undefined) result[key] = checked;
      }
      return result as never;
    },
  };
}

/** Any JSON object, unchecked inside (a part the reader passes along but does not read). */
export const anyObject = schema<Record<string, unknown>>("an object", (v) => typeof v === "object" && v !== null && !Array.isArray(v));

/** `inner`, then `rule` on the whole (a relation between fields); `rule` returns a violation's wording or nothing. */
export function refine<T>(inner: Schema<T>, rule: (value: T) => { path: string; expected: string; got: unknown } | undefined): Schema<T> {
  return {
    optional: inner.optional,
    check(value, path) {
      const checked = inner.check(value, path);
      const broken = rule(checked);
      if (!broken) return checked;
      const where = !path ? broken.path : broken.path.startsWith("[") ? `${path}${broken.path}` : `${path}.${broken.path}`;
      throw new SchemaViolation(where, broken.expected, describeValue(broken.got));
    },
  };
}
