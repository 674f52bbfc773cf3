// float32 → IEEE half conversion (round to nearest even), for `--fp16` weights.
// Node 20 has no Float16Array; the bit work is one pass over a Uint32Array view.

export function toFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const half = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) half[i] = halfBits(bits[i]);
  return half;
}

function halfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // inf, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    // Subnormal: shift the implicit-one mantissa into place, rounding to nearest even.
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const rounded = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (rest > halfway || (rest === halfway && (rounded & 1)) ? rounded + 1 : rounded);
  }
  const rounded = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and may reach inf).
  return sign | (rest > 0x1000 || (rest === 0x1000 && (rounded & 1)) ? rounded + 1 : rounded);
}
