// Drawing a laid-out model graph (graph.ts) as one self-contained SVG: every
// position comes from ELK; this file only paints boxes, labels and the edge
// routes ELK computed. Also the HTML page that embeds it.
import type { ElkEdgeSection, ElkExtendedEdge } from "elkjs/lib/elk-api.js";
import { SUBLAYER_KINDS } from "../ir/layers/index.js";
import { compact, groupDigits } from "./describe.js";
import { CHAR_WIDTH, FONT_SIZE, LINE_HEIGHT, type DrawnNode, type LaidOutGraph } from "./graph.js";
import { escapeHtml as esc } from "./table.js";

const HEADER = 58;

const STYLE = `
text { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: ${FONT_SIZE}px; fill: #1f2328; }
text.title { font-weight: bold; }
text.dim { fill: #59636e; }
text.heading { font-family: system-ui, sans-serif; font-size: 18px; font-weight: bold; }
text.subheading { font-family: system-ui, sans-serif; font-size: 13px; fill: #59636e; }
rect { stroke: #57606a; stroke-width: 1; }
rect.background { fill: #ffffff; stroke: none; }
.io rect { fill: #ffffff; stroke-dasharray: 4 2; }
.embed rect, .head rect { fill: #e6e8eb; }
.norm rect { fill: #f6f8fa; stroke: #afb8c1; }
.fold rect { fill: #fff8c5; stroke: #d4a72c; stroke-dasharray: 4 2; }
${kindStyles()}
.stage rect { fill: #ffffff; stroke: #d4a72c; }
.add circle { fill: #ffffff; stroke: #57606a; }
.add text { font-size: 16px; font-weight: bold; }
path.edge { fill: none; stroke: #57606a; stroke-width: 1.2; marker-end: url(#arrow); }
path.skip { stroke: #8250df; stroke-dasharray: 5 3; }
`;

/** Each sublayer kind's colours, as its IR module gives them (src/ir/layers/*.ts, `style`). */
function kindStyles(): string {
  return Object.values(SUBLAYER_KINDS)
    .map(({ kind, style }) => `.${kind} > rect { fill: ${style.fill};${style.stroke ? ` stroke: ${style.stroke}; stroke-width: 1.5;` : ""} }`)
    .join("\n");
}

export function renderSvg(graph: LaidOutGraph): string {
  const { root, description: m } = graph;
  const subtitle = `${groupDigits(m.totals.params)} params · ${compact(m.totals.flopsPerToken)} FLOPs/token · d_model ${m.hyperparameters.d_model} · vocab ${m.hyperparameters.vocab} · context ${m.hyperparameters.context} · ${m.sublayers.length} sublayers`;
  // The subtitle is proportional type: about 7 px a character at 13 px.
  const width = Math.ceil(Math.max(root.width ?? 0, 24 + 7 * [...subtitle].length));
  const height = Math.ceil((root.height ?? 0) + HEADER);
  const body: string[] = [];
  drawChildren(root, 0, HEADER, body);
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<title>${esc(m.name)}</title>
<style>${STYLE}</style>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>
<rect class="background" x="0" y="0" width="${width}" height="${height}"/>
<text class="heading" x="12" y="24">${esc(m.name)}${m.parent ? ` (extends ${esc(m.parent)})` : ""}</text>
<text class="subheading" x="12" y="44">${esc(subtitle)}</text>
${body.join("\n")}
</svg>
`;
}

/** Children and edges of `node`, whose own top-left corner is at (x, y). */
function drawChildren(node: DrawnNode, x: number, y: number, out: string[]): void {
  for (const e of node.edges ?? []) out.push(drawEdge(e, x, y));
  for (const child of node.children ?? []) drawNode(child, x + (child.x ?? 0), y + (child.y ?? 0), out);
}

function drawNode(node: DrawnNode, x: number, y: number, out: string[]): void {
  const w = node.width ?? 0, h = node.height ?? 0;
  out.push(`<g class="${node.kind}" id="${esc(node.id)}">`);
  if (node.kind === "add") {
    out.push(`<circle cx="${n(x + w / 2)}" cy="${n(y + h / 2)}" r="${n(w / 2)}"/>`);
    out.push(`<text x="${n(x + w / 2)}" y="${n(y + h / 2 + 5)}" text-anchor="middle">+</text>`);
  } else {
    out.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="4"/>`);
    node.lines.forEach((line, i) => {
      const cls = line.style ? ` class="${line.style}"` : "";
      out.push(`<text${cls} x="${n(x + 8)}" y="${n(y + 8 + FONT_SIZE + i * LINE_HEIGHT - 2)}" textLength="${n([...line.text].length * CHAR_WIDTH)}" lengthAdjust="spacingAndGlyphs">${esc(line.text)}</text>`);
    });
  }
  drawChildren(node, x, y, out);
  out.push("</g>");
}

function drawEdge(edge: ElkExtendedEdge, x: number, y: number): string {
  const cls = edge.id.startsWith("skip:") ? "edge skip" : "edge";
  const path = (edge.sections ?? []).map((s: ElkEdgeSection) => {
    const points = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
    return points.map((p, i) => `${i === 0 ? "M" : "L"} ${n(x + p.x)} ${n(y + p.y)}`).join(" ");
  });
  return `<path class="${cls}" d="${path.join(" ")}"/>`;
}

/** Coordinates to one decimal, so the same layout always prints the same bytes. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function renderHtml(graph: LaidOutGraph): string {
  const svg = renderSvg(graph).replace(/^<\?xml[^>]*>\n/, "");
  const m = graph.description;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(m.name)} — motc graph</title>
<style>body { margin: 16px; font: 14px system-ui, sans-serif; } svg { max-width: 100%; height: auto; }</style>
</head>
<body>
${svg}
</body>
</html>
`;
}
