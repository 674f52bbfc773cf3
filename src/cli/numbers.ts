// Commander parsers for flag values (numbers, output paths), shared by the
// commands that take them: a bad value becomes commander's error naming the
// flag and the value, whose message is what the value must be
// (src/cli/failure.ts makes it MOT220).
import { InvalidArgumentError } from "commander";

export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError("a positive whole number");
  return value;
}

export function nonNegativeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError("a whole number >= 0");
  return value;
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError("a positive number");
  return value;
}

/** An output path (`--out DIR`, `-o FILE`): an empty one would silently mean the current directory. */
export function outputPath(text: string): string {
  if (text.trim() === "") throw new InvalidArgumentError("a non-empty path");
  return text;
}
