// `motc graph`: the architecture as a graph — input, embedding, each pre-norm
// residual sublayer (norm → layer → ⊕ with the skip path around it), the head —
// laid out by ELK's layered algorithm (elkjs), then drawn as SVG by graph-svg.ts.
// A MoT sublayer is a compound node whose stages (controller, group mixing,
// experts, emit) ELK lays out inside it, annotated with their sizes. A stack
// too long to lay out is drawn folded (graph-fold.ts).
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api.js";
import { kindOf } from "../ir/layers/index.js";
import type { PictureLine } from "../ir/layers/kind.js";
import type { ModelIR, Sublayer } from "../ir/model.js";
import { compact, describeModel, formatArgs, groupDigits, type ModelDescription, type PartDescription } from "./describe.js";
import { foldSublayers } from "./graph-fold.js";

/** Monospace metrics the SVG is drawn with, used to size boxes before layout. */
export const FONT_SIZE = 12;
export const CHAR_WIDTH = 7.3;
export const LINE_HEIGHT = 16;
const PADDING = 8;

/** One line of text in a box; "title" lines are bold, "dim" lines grey. */
export type Line = PictureLine;

/** What graph-svg.ts needs to draw a node; ELK adds x, y, width, height. */
export interface DrawnNode extends ElkNode {
  /** CSS class: the part kind ("mot", "attention", …) or "norm", "add", "io", "stage". */
  kind: string;
  lines: Line[];
  children?: DrawnNode[];
}

export interface LaidOutGraph {
  root: DrawnNode;
  description: ModelDescription;
}

export async function layoutModel(model: ModelIR): Promise<LaidOutGraph> {
  const description = describeModel(model);
  // elk.bundled.js is CommonJS: at run time the default export is the ELK
  // constructor itself, which its typings (written for bundlers) do not say.
  const elkModule = await import("elkjs/lib/elk.bundled.js");
  const ELK = elkModule.default as unknown as new () => { layout(graph: ElkNode): Promise<ElkNode> };
  const root = buildGraph(model, description);
  const laidOut = (await new ELK().layout(root)) as DrawnNode;
  return { root: laidOut, description };
}

export function buildGraph(model: ModelIR, description: ModelDescription): DrawnNode {
  const nodes: DrawnNode[] = [];
  const edges: ElkExtendedEdge[] = [];
  const edge = (from: string, to: string, residual = false) =>
    edges.push({ id: `${residual ? "skip" : "e"}:${from}->${to}`, sources: [from], targets: [to] });

  nodes.push(box("input", "io", [{ text: "input_ids [B, T]", style: "title" }]));
  nodes.push(box("embed", "embed", embedLines(model, description.embed)));
  edge("input", "embed");
  let stream = "embed";
  const drawSublayer = (i: number) => {
    const part = description.sublayers[i];
    const norm = `${part.name}.norm`;
    const add = `${part.name}.add`;
    nodes.push(box(norm, "norm", [{ text: `${part.name}.norm · ${model.norm}` }]));
    nodes.push(sublayerNode(model, model.sublayers[i], part));
    // The skip path enters the ⊕ from the side, the branch from above.
    nodes.push({
      id: add, kind: "add", lines: [{ text: "+" }], width: 24, height: 24,
      ports: [{ id: `${add}.skip`, width: 0, height: 0, layoutOptions: { "elk.port.side": "WEST" } }],
      layoutOptions: { "elk.portConstraints": "FIXED_SIDE" },
    });
    edge(stream, norm);
    edge(norm, part.name);
    edge(part.name, add);
    edge(stream, `${add}.skip`, true); // the residual path: x + f(norm(x))
    stream = add;
  };
  // A marker in the stream: where a folded repeat begins or ends, or what is left out.
  const marker = (id: string, lines: Line[]) => {
    nodes.push(box(id, "fold", lines));
    edge(stream, id);
    stream = id;
  };
  const signatures = description.sublayers.map((part) => `${part.kind}(${formatArgs(part.args)})`);
  for (const run of foldSublayers(signatures)) {
    if (run.kind === "sublayer") {
      drawSublayer(run.index);
    } else if (run.kind === "repeat") {
      const last = run.start + run.period * run.times - 1;
      marker(`repeat.${run.start}`, [
        { text: `repeat × ${groupDigits(run.times)}`, style: "title" },
        { text: `layers.${run.start}–${last}: the ${run.period === 1 ? "sublayer" : `${run.period} sublayers`} below, ${groupDigits(run.times)} times`, style: "dim" },
      ]);
      // The block's first instance stands for all of them.
      for (let i = run.start; i < run.start + run.period; i++) drawSublayer(i);
      marker(`repeat.${run.start}.end`, [{ text: `end of repeat × ${groupDigits(run.times)}`, style: "dim" }]);
    } else {
      marker(`elided.${run.start}`, [
        { text: `⋮ ${groupDigits(run.count)} sublayers not drawn`, style: "title" },
        { text: `layers.${run.start}–${run.start + run.count - 1} (motc summary lists them)`, style: "dim" },
      ]);
    }
  }
  nodes.push(box("head.norm", "norm", [{ text: `head.norm · ${model.norm}` }]));
  nodes.push(box("head", "head", headLines(model, description.head)));
  nodes.push(box("logits", "io", [{ text: `logits [B, T, ${model.vocab}]`, style: "title" }]));
  edge(stream, "head.norm");
  edge("head.norm", "head");
  edge("head", "logits");

  return {
    id: "root",
    kind: "root",
    lines: [],
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.edgeRouting": "ORTHOGONAL",
      "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
      "elk.layered.spacing.nodeNodeBetweenLayers": "22",
      "elk.spacing.nodeNode": "28",
      "elk.spacing.edgeNode": "16",
      "elk.padding": "[top=12,left=12,bottom=12,right=12]",
      "elk.randomSeed": "1",
    },
    children: nodes,
    edges,
  };
}

function box(id: string, kind: string, lines: Line[]): DrawnNode {
  const { width, height } = measure(lines);
  return { id, kind, lines, width, height };
}

export function measure(lines: readonly Line[]): { width: number; height: number } {
  const chars = Math.max(1, ...lines.map((l) => [...l.text].length));
  return { width: Math.ceil(chars * CHAR_WIDTH + 2 * PADDING), height: lines.length * LINE_HEIGHT + 2 * PADDING - 4 };
}

function cost(part: PartDescription): Line {
  return { text: `${compact(part.paramCount)} params · ${compact(part.flopsPerToken)} FLOPs/token`, style: "dim" };
}

function embedLines(model: ModelIR, part: PartDescription): Line[] {
  const positions = model.position === "learned" ? ` + position [${model.context}, ${model.dModel}]` : model.position === "sinusoidal" ? " + sinusoidal positions" : "";
  return [
    { text: `embed(position = ${model.position})`, style: "title" },
    { text: `token [${model.vocab}, ${model.dModel}]${positions}` },
    { text: `${compact(part.paramCount)} params → [B, T, ${model.dModel}]`, style: "dim" },
  ];
}

function headLines(model: ModelIR, part: PartDescription): Line[] {
  const unembed = model.tiedHead ? `@ embed.tokenᵀ (tied) [${model.dModel}, ${model.vocab}]` : `@ head.unembed [${model.dModel}, ${model.vocab}]`;
  return [{ text: `head(tied = ${model.tiedHead})`, style: "title" }, { text: unembed }, cost(part)];
}

/** A sublayer as its kind draws itself (src/ir/layers/*.ts, `picture`): a box, or a compound box with its stages inside. */
function sublayerNode(model: ModelIR, layer: Sublayer, part: PartDescription): DrawnNode {
  const kind = kindOf(layer);
  const picture = kind.picture(layer, model);
  if (!picture.stages) return box(part.name, layer.kind, [{ text: `${part.name} ${layer.kind}`, style: "title" }, ...picture.lines, cost(part)]);
  const header: Line[] = [{ text: `${part.name} ${layer.kind} · ${kind.title}`, style: "title" }, ...picture.lines, cost(part)];
  const stages = picture.stages.map((stage) => box(`${part.name}.${stage.name}`, "stage", stage.lines));
  const headerSize = measure(header);
  const edges: ElkExtendedEdge[] = stages.slice(1).map((s, i) => ({ id: `e:${stages[i].id}->${s.id}`, sources: [stages[i].id], targets: [s.id] }));
  return {
    id: part.name,
    kind: layer.kind,
    lines: header,
    children: stages,
    edges,
    layoutOptions: {
      "elk.padding": `[top=${headerSize.height + 8},left=12,bottom=12,right=12]`,
      "elk.nodeSize.minimum": `(${headerSize.width}, ${headerSize.height})`,
      "elk.nodeSize.constraints": "MINIMUM_SIZE",
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "14",
    },
  };
}
