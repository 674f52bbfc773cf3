// Writing Python source text: values as Python literals that Python reads back
// as exactly the same numbers, and the small layout helpers every generator
// file uses. Pure string functions; nothing here knows about models.

/** A value that has a Python literal: what the IR and the recipe hold. */
export type PythonValue = number | string | boolean | null | undefined | readonly PythonValue[] | { readonly [key: string]: PythonValue };

/**
 * `value` as a Python literal. Numbers keep JavaScript's shortest round-trip
 * form (`0.00001`, `1e-8`, `2`), which Python parses to the same double; an
 * integral number stays an int. Objects become dicts with their keys in order.
 */
export function py(value: PythonValue): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? 'float("nan")' : `float("${value > 0 ? "inf" : "-inf"}")`;
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value); // JSON's escapes are Python's
  if (Array.isArray(value)) return `[${value.map(py).join(", ")}]`;
  const entries = Object.entries(value as Record<string, PythonValue>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${py(v)}`).join(", ")}}`;
}

/** A tuple literal (a 1-tuple keeps its trailing comma). */
export function pyTuple(values: readonly PythonValue[]): string {
  return values.length === 1 ? `(${py(values[0])},)` : `(${values.map(py).join(", ")})`;
}

/** Keyword arguments `name=value, …` of a call, in order. */
export function pyKeywords(args: Readonly<Record<string, PythonValue>>): string {
  return Object.entries(args).map(([name, value]) => `${name}=${py(value)}`).join(", ");
}

/** Python source cleaned for output: no leading blank line, one trailing newline. */
export function source(text: string): string {
  return text.replace(/^\n+/, "").replace(/\s+$/, "") + "\n";
}

/** Joins top-level Python definitions with two blank lines between them (PEP 8). */
export function definitions(parts: readonly string[]): string {
  return parts.map(source).join("\n\n");
}
