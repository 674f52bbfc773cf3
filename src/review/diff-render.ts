// Writing a semantic diff as text (a terminal), markdown (a pull-request
// comment) or JSON (`motc.diff/1`, for tools). The HTML side-by-side view is in
// diff-html.ts.
import { formatCall, formatValue, groupDigits, type PartDescription, type Value } from "./describe.js";
import { changedSublayers, describeSublayerChanges, type KeyChange, type ModelDiff, type SublayerChange, type TotalChange } from "./diff.js";
import { alignRows, renderMarkdown, type Table } from "./table.js";

export const DIFF_SCHEMA = "motc.diff/1";

/** What the two sides are called in headings: file names or `REV:path`. */
export interface DiffLabels {
  before: string;
  after: string;
}

export function modelTitle(diff: ModelDiff): string {
  if (diff.before === null) return `${diff.after} (only in the second spec)`;
  if (diff.after === null) return `${diff.before} (only in the first spec)`;
  return diff.before === diff.after ? diff.before : `${diff.before} → ${diff.after}`;
}

/** One line: what changed, or "no difference". */
export function headline(diff: ModelDiff): string {
  if (diff.equal) return "no difference";
  if (diff.before === null) return "model added";
  if (diff.after === null) return "model removed";
  const parts: string[] = [];
  const sublayers = describeSublayerChanges(diff);
  if (sublayers) parts.push(`sublayers: ${sublayers}`);
  const keys = diff.hyperparameters.length + diff.embed.length + diff.head.length;
  if (keys) parts.push(`${keys} hyperparameter${keys === 1 ? "" : "s"} changed`);
  if (diff.recipe.length) parts.push(`recipe: ${diff.recipe.length} key${diff.recipe.length === 1 ? "" : "s"} changed`);
  return parts.join("; ");
}

export function formatKeyValue(value: Value | undefined): string {
  return value === undefined ? "(none)" : formatValue(value);
}

/** after / before: "32.17×", or "0.03109× (1/32.17)" when it shrank. */
export function formatRatio(before: number, after: number): string {
  if (before === after) return "1×";
  if (before === 0) return "new";
  if (after === 0) return "0×";
  const ratio = after / before;
  return ratio >= 1 ? `${significant(ratio)}×` : `${significant(ratio)}× (1/${significant(1 / ratio)})`;
}

function significant(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function formatDelta(before: number, after: number): string {
  const delta = after - before;
  return delta > 0 ? `+${groupDigits(delta)}` : delta < 0 ? `−${groupDigits(-delta)}` : "0";
}

function sublayerLabel(change: SublayerChange): string {
  const a = "before" in change ? change.before.name : undefined;
  const b = "after" in change ? change.after.name : undefined;
  return a && b && a !== b ? `${a} → ${b}` : (a ?? b ?? "");
}

function argChanges(changes: readonly KeyChange[]): string {
  return changes.map((c) => `${c.key}: ${formatKeyValue(c.before)} → ${formatKeyValue(c.after)}`).join(", ");
}

// ---- text ---------------------------------------------------------------------------

export function diffText(diffs: readonly ModelDiff[], labels: DiffLabels): string {
  const lines = [`--- ${labels.before}`, `+++ ${labels.after}`];
  for (const diff of diffs) lines.push("", ...modelText(diff));
  return lines.join("\n") + "\n";
}

function modelText(diff: ModelDiff): string[] {
  const lines = [`model ${modelTitle(diff)}: ${headline(diff)}`];
  if (diff.equal) return lines;
  const keys = [...diff.hyperparameters, ...prefixed("embed", diff.embed), ...prefixed("head", diff.head)];
  if (keys.length && diff.before !== null && diff.after !== null) {
    lines.push("  hyperparameters", ...keys.map((c) => `    ${c.key}: ${formatKeyValue(c.before)} → ${formatKeyValue(c.after)}`));
  }
  const sublayers = changedSublayers(diff);
  if (sublayers.length && diff.before !== null && diff.after !== null) {
    lines.push("  sublayers");
    for (const s of sublayers) lines.push(...sublayerText(s));
  }
  if (diff.recipe.length && diff.before !== null && diff.after !== null) {
    lines.push("  recipe", ...diff.recipe.map((c) => `    ${c.key}: ${formatKeyValue(c.before)} → ${formatKeyValue(c.after)}`));
  }
  lines.push("  totals");
  const rows = visibleTotals(diff).map((t) => [t.quantity, groupDigits(t.before), "→", groupDigits(t.after), formatDelta(t.before, t.after), formatRatio(t.before, t.after)]);
  lines.push(...alignRows([["", "before", "", "after", "delta", "ratio"], ...rows], ["left", "right", "left", "right", "right", "left"]).map((l) => `    ${l}`));
  return lines;
}

function prefixed(part: string, changes: readonly KeyChange[]): KeyChange[] {
  return changes.map((c) => ({ ...c, key: `${part} ${c.key}` }));
}

function sublayerText(change: Exclude<SublayerChange, { op: "same" }>): string[] {
  const label = sublayerLabel(change);
  switch (change.op) {
    case "added":
      return [`    + ${label}  ${formatCall(change.after)}`];
    case "removed":
      return [`    - ${label}  ${formatCall(change.before)}`];
    case "changed":
      return [`    ~ ${label}  ${change.before.kind}(${argChanges(change.args)})`];
    case "replaced": {
      const indent = " ".repeat(label.length + 4);
      return [`    ~ ${label}  ${formatCall(change.before)}`, `    ${indent}→ ${formatCall(change.after)}`];
    }
  }
}

/** The main totals always; per-role parameter totals only where they changed. */
export function visibleTotals(diff: ModelDiff): TotalChange[] {
  return diff.totals.filter((t, i) => i < 4 || t.before !== t.after);
}

// ---- markdown -------------------------------------------------------------------------

export function diffMarkdown(diffs: readonly ModelDiff[], labels: DiffLabels): string {
  const equal = diffs.every((d) => d.equal);
  const out = [`## motc diff: \`${labels.before}\` → \`${labels.after}\``, ""];
  if (equal) out.push("No semantic difference (formatting and comments aside).", "");
  for (const diff of diffs) out.push(...modelMarkdown(diff));
  return out.join("\n");
}

function code(text: string): string {
  return text ? `\`${text}\`` : "";
}

function modelMarkdown(diff: ModelDiff): string[] {
  const out = [`### \`${modelTitle(diff)}\`: ${headline(diff)}`, ""];
  if (diff.equal) return out;
  const keyTable = (changes: KeyChange[]): Table => ({
    headers: ["key", "before", "after"],
    align: ["left", "left", "left"],
    rows: changes.map((c) => [code(c.key), code(formatKeyValue(c.before)), code(formatKeyValue(c.after))]),
  });
  const keys = [...diff.hyperparameters, ...prefixed("embed", diff.embed), ...prefixed("head", diff.head)];
  const both = diff.before !== null && diff.after !== null;
  if (keys.length && both) out.push("**Hyperparameters**", "", renderMarkdown(keyTable(keys)));
  const sublayers = changedSublayers(diff);
  if (sublayers.length && both) {
    const call = (part: PartDescription | undefined) => (part ? code(formatCall(part)) : "");
    const rows = sublayers.map((s) => [
      { added: "+", removed: "−", changed: "~", replaced: "~" }[s.op],
      code(sublayerLabel(s)),
      "before" in s ? call(s.before) : "",
      "after" in s ? call(s.after) : "",
      s.op === "changed" ? argChanges(s.args) : s.op === "replaced" ? `${s.before.kind} → ${s.after.kind}` : s.op,
    ]);
    out.push("**Sublayers**", "", renderMarkdown({ headers: ["", "sublayer", "before", "after", "what changed"], align: ["left", "left", "left", "left", "left"], rows }));
  }
  if (diff.recipe.length && both) out.push("**Recipe**", "", renderMarkdown(keyTable(diff.recipe)));
  const totals = visibleTotals(diff).map((t) => [t.quantity, groupDigits(t.before), groupDigits(t.after), formatDelta(t.before, t.after), formatRatio(t.before, t.after)]);
  out.push("**Totals**", "", renderMarkdown({ headers: ["", "before", "after", "Δ", "ratio"], align: ["left", "right", "right", "right", "left"], rows: totals }));
  return out;
}

// ---- JSON -------------------------------------------------------------------------------

export function diffJson(diffs: readonly ModelDiff[], labels: DiffLabels): string {
  const part = (p: PartDescription | undefined) => (p ? { index: p.index ?? null, name: p.name, kind: p.kind, args: p.args, call: formatCall(p) } : null);
  const keys = (changes: readonly KeyChange[]) => changes.map((c) => ({ key: c.key, before: c.before ?? null, after: c.after ?? null }));
  const document = {
    schema: DIFF_SCHEMA,
    before: labels.before,
    after: labels.after,
    equal: diffs.every((d) => d.equal),
    models: diffs.map((d) => ({
      before: d.before,
      after: d.after,
      equal: d.equal,
      hyperparameters: keys(d.hyperparameters),
      embed: keys(d.embed),
      head: keys(d.head),
      sublayers: changedSublayers(d).map((s) => ({
        op: s.op,
        before: part("before" in s ? s.before : undefined),
        after: part("after" in s ? s.after : undefined),
        ...(s.op === "changed" ? { args: keys(s.args) } : {}),
      })),
      recipe: keys(d.recipe),
      totals: d.totals.map((t) => ({
        quantity: t.quantity,
        before: t.before,
        after: t.after,
        delta: t.after - t.before,
        ratio: t.before === 0 ? null : Number((t.after / t.before).toPrecision(10)),
      })),
    })),
  };
  return JSON.stringify(document, null, 2) + "\n";
}
