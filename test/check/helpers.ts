// Shared by the checker's tests: check a text, and a small valid model to edit.
import { checkSpec, type CheckResult } from "../../src/check/index.js";

export function check(text: string, path = "test.mot"): CheckResult {
  return checkSpec({ path, text });
}

/**
 * A valid model with `lines` inserted after `embed`: line 6 of the text is the
 * first inserted line, so a test can state exact positions.
 */
export function withLayers(lines: string): string {
  return `model m {
  vocab = 64
  context = 16
  d_model = 32
  embed
${lines}
  head
}
`;
}
