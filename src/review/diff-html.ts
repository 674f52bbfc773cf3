// `motc diff --format html`: the two elaborated models side by side, row for
// row (hyperparameters, embed, every aligned sublayer, head, recipe), with
// changes highlighted, and the totals. One self-contained file: no scripts,
// no fonts or styles from elsewhere.
import { formatValue, groupDigits, type ModelDescription, type PartDescription, type Value } from "./describe.js";
import { formatRatio, headline, modelTitle, visibleTotals, type DiffLabels } from "./diff-render.js";
import type { KeyChange, ModelDiff, SublayerChange } from "./diff.js";
import { escapeHtml as esc } from "./table.js";

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.files { color: #59636e; margin-bottom: 16px; } .files code { color: #1f2328; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #d1d9e0; padding: 3px 8px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .call { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.side td { width: 46%; } .side td.op { width: 2%; text-align: center; font-weight: bold; }
.cost { color: #59636e; font-size: 12px; }
tr.removed td.a, tr.replaced td.a { background: #ffebe9; }
tr.added td.b, tr.replaced td.b { background: #dafbe1; }
tr.changed td.a, tr.changed td.b { background: #fff8c5; }
tr.same td { color: #59636e; }
mark { background: #ffd33d; padding: 0 1px; border-radius: 2px; }
.badge { font-size: 12px; font-weight: normal; background: #ddf4ff; border-radius: 10px; padding: 1px 8px; margin-left: 6px; }
.badge.equal { background: #dafbe1; }
`;

export function diffHtml(diffs: readonly ModelDiff[], models: readonly [ModelDescription | null, ModelDescription | null][], labels: DiffLabels): string {
  const sections = diffs.map((diff, i) => modelSection(diff, models[i][0], models[i][1])).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>motc diff ${esc(labels.before)} → ${esc(labels.after)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>motc diff</h1>
<div class="files"><code>${esc(labels.before)}</code> → <code>${esc(labels.after)}</code>: ${diffs.every((d) => d.equal) ? "no semantic difference" : "models differ"}</div>
${sections}
</body>
</html>
`;
}

function modelSection(diff: ModelDiff, a: ModelDescription | null, b: ModelDescription | null): string {
  const badge = `<span class="badge${diff.equal ? " equal" : ""}">${esc(headline(diff))}</span>`;
  const rows = [
    ...keyRows(a?.hyperparameters ?? {}, b?.hyperparameters ?? {}, diff.hyperparameters),
    partRow(a?.embed, b?.embed, diff.embed),
    ...diff.sublayers.map(sublayerRow),
    partRow(a?.head, b?.head, diff.head),
  ];
  const recipe = a?.recipe || b?.recipe
    ? `<table class="side"><thead><tr><th></th><th>recipe ${esc(diff.before ?? "")}</th><th>recipe ${esc(diff.after ?? "")}</th></tr></thead><tbody>
${keyRows(a?.recipe ?? {}, b?.recipe ?? {}, diff.recipe).join("\n")}
</tbody></table>`
    : "";
  return `<section>
<h2>${esc(modelTitle(diff))}${badge}</h2>
<table class="side"><thead><tr><th></th><th>${esc(diff.before ?? "(none)")}</th><th>${esc(diff.after ?? "(none)")}</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>
${recipe}
${totalsTable(diff)}
</section>`;
}

function keyRows(a: Record<string, Value>, b: Record<string, Value>, changes: readonly KeyChange[]): string[] {
  const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
  const changed = new Set(changes.map((c) => c.key));
  return keys.map((key) => {
    const op = !changed.has(key) ? "same" : !(key in a) ? "added" : !(key in b) ? "removed" : "changed";
    const cell = (side: Record<string, Value>) => (key in side ? `<code>${esc(key)} = ${esc(formatValue(side[key]))}</code>` : "");
    return row(op, cell(a), cell(b));
  });
}

function partRow(a: PartDescription | undefined, b: PartDescription | undefined, changes: readonly KeyChange[]): string {
  const op = !a ? "added" : !b ? "removed" : changes.length ? "changed" : "same";
  const changed = new Set(changes.map((c) => c.key));
  const costChanged = !!a && !!b && (a.paramCount !== b.paramCount || a.flopsPerToken !== b.flopsPerToken);
  return row(op, a ? partCell(a, changed) : "", b ? partCell(b, changed, costChanged) : "");
}

function sublayerRow(change: SublayerChange): string {
  const changed = new Set(change.op === "changed" ? change.args.map((c) => c.key) : []);
  // An unchanged call can still cost more or less (d_model or context changed): mark its numbers.
  const costChanged = change.op === "same" &&
    (change.before.paramCount !== change.after.paramCount || change.before.flopsPerToken !== change.after.flopsPerToken);
  const a = "before" in change ? partCell(change.before, changed) : "";
  const b = "after" in change ? partCell(change.after, changed, costChanged) : "";
  return row(change.op, a, b);
}

const OP_MARK: Record<string, string> = { same: "", changed: "~", replaced: "~", added: "+", removed: "−" };

function row(op: string, a: string, b: string): string {
  return `<tr class="${op}"><td class="op">${OP_MARK[op]}</td><td class="a">${a}</td><td class="b">${b}</td></tr>`;
}

/** `layers.1 mot(experts = 512, …)` with changed arguments marked, and its size and cost. */
function partCell(part: PartDescription, changed: ReadonlySet<string>, costChanged = false): string {
  const args = Object.entries(part.args)
    .map(([key, value]) => {
      const text = esc(`${key} = ${formatValue(value)}`);
      return changed.has(key) ? `<mark>${text}</mark>` : text;
    })
    .join(", ");
  const prefix = part.index === undefined ? "" : `${esc(part.name)} `;
  const cost = `${groupDigits(part.paramCount)} params · ${groupDigits(part.flopsPerToken)} FLOPs/token`;
  return `<span class="call">${prefix}${esc(part.kind)}(${args})</span><br><span class="cost">${costChanged ? `<mark>${cost}</mark>` : cost}</span>`;
}

function totalsTable(diff: ModelDiff): string {
  const rows = visibleTotals(diff).map((t) => {
    const cls = t.before === t.after ? "same" : "changed";
    return `<tr class="${cls}"><td>${esc(t.quantity)}</td><td class="num">${groupDigits(t.before)}</td><td class="num">${groupDigits(t.after)}</td><td class="num">${esc(formatRatio(t.before, t.after))}</td></tr>`;
  });
  return `<table><thead><tr><th>total</th><th>before</th><th>after</th><th>ratio</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>`;
}
