// Every diagnostic motc can report, in one table (as the TypeScript compiler
// keeps its diagnosticMessages). Codes are stable: tools and docs refer to them,
// so a code is never reused for another meaning. `{0}`, `{1}` … are filled in
// by `diagnostic()`.
export const messages = {
  // Lexical and syntax errors
  MOT001: { severity: "error", text: "unexpected character '{0}'" },
  MOT002: { severity: "error", text: "unterminated string" },
  MOT003: { severity: "error", text: "expected {0}, found {1}" },
  MOT004: { severity: "error", text: "version {0} is not known to this motc (it knows version 1)" },
  MOT005: { severity: "error", text: "'{0}' is not a valid number" },
  MOT006: { severity: "error", text: "unknown escape '\\{0}' in a string (only \\\" and \\\\ are allowed)" },
  MOT007: { severity: "error", text: "brackets nest more than {0} deep here" },

  // Names
  MOT010: { severity: "error", text: "unknown model key '{0}'" },
  MOT011: { severity: "error", text: "unknown layer '{0}'" },
  MOT012: { severity: "error", text: "unknown argument '{0}' to {1}" },
  MOT013: { severity: "error", text: "unknown name '{0}'" },
  MOT014: { severity: "error", text: "'{0}' is not a valid value for {1} (expected {2})" },
  MOT015: { severity: "error", text: "unknown model '{0}'" },
  MOT016: { severity: "error", text: "unknown recipe key '{0}'" },
  MOT017: { severity: "error", text: "model '{0}' is declared twice" },
  MOT018: { severity: "error", text: "model '{0}' has two train recipes" },
  MOT019: { severity: "error", text: "'{0}' is set twice" },
  MOT020: { severity: "error", text: "'{0}' is defined in terms of itself: {1}" },
  MOT021: { severity: "error", text: "model '{0}' extends itself: {1}" },
  MOT022: { severity: "error", text: "missing required key '{0}' in {1}" },
  MOT023: { severity: "error", text: "missing required argument '{0}' to {1}" },
  MOT024: { severity: "error", text: "{0} must be {1}, got {2}" },
  MOT025: { severity: "error", text: "{0} must be positive, got {1}" },
  MOT026: { severity: "error", text: "heads = {0} does not divide d_model = {1}" },
  MOT027: { severity: "error", text: "expert_size = d_ff * group / experts = {0} is not a whole number" },
  MOT028: { severity: "error", text: "group must be at least 1, got {0}" },
  MOT029: { severity: "error", text: "topk = {0} exceeds experts = {1}" },
  MOT030: { severity: "error", text: "recipe context {0} exceeds the model's context {1}" },
  MOT031: { severity: "error", text: "model '{0}' has no {1} layer" },
  MOT032: { severity: "error", text: "{0} must appear exactly once" },
  MOT033: { severity: "error", text: "{0} is out of place: {1}" },
  MOT034: { severity: "error", text: "model '{0}' has no '{1}' layer to replace" },
  MOT035: { severity: "error", text: "replace is only allowed in a model that extends another" },
  MOT036: { severity: "error", text: "{0} / {1} is not a whole number, but {2} must be an integer" },
  MOT037: { severity: "error", text: "division by zero" },
  MOT038: { severity: "error", text: "{0} is too large: {1} (the limit is {2})" },
  MOT039: { severity: "error", text: "{0} takes no arguments here" },
  MOT040: { severity: "error", text: "train recipe names unknown model '{0}'" },
  MOT041: { severity: "error", text: "{0} must be between {1} and {2}, got {3}" },
  MOT042: { severity: "error", text: "{0} is not a finite number" },
  MOT043: { severity: "error", text: "{0} must not be negative, got {1}" },
  MOT044: { severity: "error", text: "the spec is nested too deeply to check" },
  MOT045: { severity: "error", text: "'{0}' is a {1} key, not a constant: set it without 'let'" },
  MOT046: { severity: "error", text: "replace has no effect: model '{0}' lists its own layers" },
  MOT047: { severity: "error", text: "{0} applies only with {1}" },
  MOT048: { severity: "error", text: "each expert would take ceil(capacity * group / experts) = {0} rows of a group of {1}" },

  // Warnings
  MOT100: { severity: "warning", text: "let constant '{0}' is never used" },
  MOT101: { severity: "warning", text: "temp = anneal(...) has no effect: model '{0}' has no mot layer with a learnable temperature" },
} as const;

export type MessageCode = keyof typeof messages;
export type Severity = "error" | "warning";
