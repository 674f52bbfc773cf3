// Column alignment and tables for the review commands: plain text for a
// terminal, GitHub-flavoured markdown for a pull-request comment.
export type Align = "left" | "right";

/** Pads every column to its widest cell; the last column is not padded when left-aligned. */
export function alignRows(rows: readonly (readonly string[])[], align: readonly Align[], gap = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = " ".repeat(widths[i] - width(cell));
        if ((align[i] ?? "left") === "right") return pad + cell;
        return i === row.length - 1 ? cell : cell + pad;
      })
      .join(gap)
      .trimEnd(),
  );
}

/** Display width: code points, so `→` and `÷` count as one column. */
function width(text: string): number {
  return [...text].length;
}

export interface Table {
  headers: string[];
  align: Align[];
  rows: string[][];
  /** Rows after a rule (totals). */
  footer?: string[][];
}

export function renderText(table: Table): string {
  const all = [table.headers, ...table.rows, ...(table.footer ?? [])];
  const lines = alignRows(all, table.align);
  const ruleWidth = Math.max(...lines.map(width));
  const rule = "─".repeat(ruleWidth);
  const body = lines.slice(1, 1 + table.rows.length);
  const footer = lines.slice(1 + table.rows.length);
  return [lines[0], rule, ...body, ...(footer.length ? [rule, ...footer] : [])].join("\n") + "\n";
}

export function renderMarkdown(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  const line = (cells: string[]) => `| ${cells.map(escape).join(" | ")} |`;
  const rule = `|${table.align.map((a) => (a === "right" ? "---:" : ":---")).join("|")}|`;
  const footer = (table.footer ?? []).map((row) => row.map((cell) => (cell ? `**${cell}**` : cell)));
  return [line(table.headers), rule, ...table.rows.map(line), ...footer.map(line)].join("\n") + "\n";
}

/** 0.4213 → "42.1%" */
export function percent(part: number, whole: number): string {
  if (whole === 0) return "—";
  return `${((100 * part) / whole).toFixed(1)}%`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
