// The schema checker of JSON motc reads back: each violation names the field
// from the root, what it must be and what it was; a valid value comes back with
// only the named keys.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SchemaViolation, anyObject, arrayOf, describeValue, nonNegativeInteger, number, object, oneOf, optional, positiveInteger, refine, sha256Hex, string, validate,
  type Infer,
} from "../../src/base/schema.js";

const param = refine(object({ name: string, shape: arrayOf(positiveInteger), offset: nonNegativeInteger }), (p) =>
  p.shape.length > 0 ? undefined : { path: "shape", expected: "an array of at least 1", got: p.shape });
const manifest = object({ format: oneOf("motc-checkpoint"), version: oneOf(1), step: nonNegativeInteger, params: arrayOf(param), extra: optional(anyObject) });

function violation(value: unknown): string {
  try {
    validate(manifest, value);
  } catch (error) {
    assert.ok(error instanceof SchemaViolation);
    return error.message;
  }
  return "valid";
}

const good = { format: "motc-checkpoint", version: 1, step: 3, params: [{ name: "a", shape: [2, 3], offset: 0 }, { name: "b", shape: [4], offset: 24 }] };

test("a valid value comes back typed, keeping only the keys the schema names", () => {
  const checked: Infer<typeof manifest> = validate(manifest, { ...good, unknown: true, extra: { trainer: { x: 1 } } });
  assert.deepEqual(checked, { ...good, extra: { trainer: { x: 1 } } });
  assert.equal(checked.params[1].offset, 24);
  // An optional key may be absent or null; it is then left out.
  assert.deepEqual(validate(manifest, { ...good, extra: null }), good);
});

test("each violation names the field, what it must be and what it was", () => {
  assert.equal(violation(null), "the file: must be an object, got null");
  assert.equal(violation({ ...good, format: "x" }), 'format: must be "motc-checkpoint", got "x"');
  assert.equal(violation({ ...good, step: -5 }), "step: must be a non-negative integer, got -5");
  assert.equal(violation({ ...good, step: "x" }), 'step: must be a non-negative integer, got "x"');
  assert.equal(violation({ ...good, step: 12.5 }), "step: must be a non-negative integer, got 12.5");
  assert.equal(violation({ ...good, step: 2 ** 60 }), "step: must be a non-negative integer, got 1152921504606847000");
  assert.equal(violation({ ...good, params: {} }), "params: must be an array, got {}");
  assert.equal(violation({ ...good, params: [good.params[0], null] }), "params[1]: must be an object, got null");
  assert.equal(violation({ ...good, params: [good.params[0], { ...good.params[1], offset: -8 }] }), "params[1].offset: must be a non-negative integer, got -8");
  assert.equal(violation({ ...good, params: [{ ...good.params[0], shape: "2,3" }] }), 'params[0].shape: must be an array, got "2,3"');
  assert.equal(violation({ ...good, params: [{ ...good.params[0], shape: [2, 0] }] }), "params[0].shape[1]: must be a positive integer, got 0");
  assert.equal(violation({ ...good, params: [{ ...good.params[0], name: undefined }] }), "params[0].name: must be a string, got nothing");
  assert.equal(violation({ ...good, extra: [] }), "extra: must be an object, got []");
  // refine: a rule over the whole object, its path below the object's.
  assert.equal(violation({ ...good, params: [{ ...good.params[0], shape: [] }] }), "params[0].shape: must be an array of at least 1, got []");
});

test("numbers must be finite; oneOf lists its choices; long values are cut short", () => {
  assert.throws(() => validate(number, Infinity), { message: "the file: must be a finite number, got null" });
  assert.throws(() => validate(oneOf("bytes", "gpt2"), "x"), { message: 'the file: must be one of "bytes", "gpt2", got "x"' });
  assert.throws(() => validate(sha256Hex, "abc"), { message: 'the file: must be a sha256 in hex (64 digits), got "abc"' });
  assert.equal(validate(sha256Hex, "a".repeat(64)), "a".repeat(64));
  assert.equal(describeValue("x".repeat(100)), `"${"x".repeat(36)}...`);
});
