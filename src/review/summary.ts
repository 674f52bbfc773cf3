// `motc summary`: a layer table per model in the spirit of torchinfo and
// Darknet — each part's output shape, parameters, active parameters and FLOPs
// per token with their shares — and the totals, training memory included.
import { formatBytes, trainingMemory, type TrainingMemory } from "../ir/memory.js";
import type { ModelIR } from "../ir/model.js";
import { allParts, compact, describeModel, formatShape, groupDigits, type ModelDescription, type PartDescription } from "./describe.js";
import { percent, renderMarkdown, renderText, type Table } from "./table.js";

export const SUMMARY_SCHEMA = "motc.summary/1";

export type SummaryFormat = "text" | "markdown" | "json";

export interface ModelSummary {
  description: ModelDescription;
  memory: TrainingMemory;
}

/**
 * `batch` defaults to the recipe's batch (1 without a recipe); the context of
 * the memory estimate is the recipe's, else the model's.
 */
export function summarize(model: ModelIR, batch?: number): ModelSummary {
  const description = describeModel(model);
  const context = model.recipe?.context ?? model.context;
  const rows = batch ?? model.recipe?.batch ?? 1;
  return { description, memory: trainingMemory(model, description.totals.params, rows, context) };
}

export function renderSummaries(summaries: readonly ModelSummary[], format: SummaryFormat): string {
  if (format === "json") return summaryJson(summaries);
  return summaries.map((s) => (format === "markdown" ? summaryMarkdown(s) : summaryText(s))).join("\n");
}

function layerTable(m: ModelDescription): Table {
  const t = m.totals;
  const row = (part: PartDescription): string[] => [
    part.name,
    part.kind,
    formatShape(part.outputShape),
    groupDigits(part.paramCount),
    percent(part.paramCount, t.params),
    groupDigits(part.activeParamsPerToken),
    percent(part.activeParamsPerToken, t.activeParamsPerToken),
    groupDigits(part.flopsPerToken),
    percent(part.flopsPerToken, t.flopsPerToken),
  ];
  return {
    headers: ["layer", "kind", "output", "params", "%", "active/token", "%", "FLOPs/token", "%"],
    align: ["left", "left", "left", "right", "right", "right", "right", "right", "right"],
    rows: allParts(m).map(row),
    footer: [["total", "", "", groupDigits(t.params), "100%", groupDigits(t.activeParamsPerToken), "100%", groupDigits(t.flopsPerToken), "100%"]],
  };
}

function totalsLines(s: ModelSummary): string[] {
  const t = s.description.totals;
  const b = s.memory.bytes;
  const tokens = s.memory.batch * s.memory.context;
  return [
    `parameters         ${groupDigits(t.params)} (${compact(t.params)})`,
    `active per token   ${groupDigits(t.activeParamsPerToken)} (${compact(t.activeParamsPerToken)})`,
    `FLOPs per token    ${groupDigits(t.flopsPerToken)} (${compact(t.flopsPerToken)}); a training step ≈ 3 × forward = ${compact(3 * t.flopsPerToken * tokens)} FLOPs`,
    `training memory    ${formatBytes(b.total)} at batch ${s.memory.batch} × context ${s.memory.context}, float32, AdamW:`,
    `  weights          ${formatBytes(b.weights)}  (4 B × params)`,
    `  gradients        ${formatBytes(b.gradients)}  (4 B × params)`,
    `  AdamW m, v       ${formatBytes(b.optimizer)}  (8 B × params)`,
    `  activations      ${formatBytes(b.activations)}  (4 B × batch × context × ${groupDigits(Number(s.memory.activationFloatsPerToken.toFixed(2)))} floats kept per token; estimate)`,
  ];
}

function summaryText(s: ModelSummary): string {
  const m = s.description;
  const title = `${m.name}${m.parent ? ` (extends ${m.parent})` : ""}`;
  return `${title}\n\n${renderText(layerTable(m))}\n${totalsLines(s).join("\n")}\n`;
}

function summaryMarkdown(s: ModelSummary): string {
  const m = s.description;
  const title = `### \`${m.name}\`${m.parent ? ` (extends \`${m.parent}\`)` : ""}`;
  return `${title}\n\n${renderMarkdown(layerTable(m))}\n\`\`\`\n${totalsLines(s).join("\n")}\n\`\`\`\n`;
}

function summaryJson(summaries: readonly ModelSummary[]): string {
  const document = {
    schema: SUMMARY_SCHEMA,
    models: summaries.map(({ description: m, memory }) => ({
      name: m.name,
      parent: m.parent,
      layers: allParts(m).map((part) => ({
        name: part.name,
        kind: part.kind,
        outputShape: part.outputShape,
        params: part.paramCount,
        paramsShare: share(part.paramCount, m.totals.params),
        activeParamsPerToken: part.activeParamsPerToken,
        activeParamsShare: share(part.activeParamsPerToken, m.totals.activeParamsPerToken),
        flopsPerToken: part.flopsPerToken,
        flopsShare: share(part.flopsPerToken, m.totals.flopsPerToken),
      })),
      totals: { params: m.totals.params, activeParamsPerToken: m.totals.activeParamsPerToken, flopsPerToken: m.totals.flopsPerToken },
      trainingMemory: {
        batch: memory.batch,
        context: memory.context,
        activationFloatsPerToken: memory.activationFloatsPerToken,
        bytes: memory.bytes,
      },
    })),
  };
  return JSON.stringify(document, null, 2) + "\n";
}

/** A share rounded to 6 digits so the JSON does not depend on float printing noise. */
function share(part: number, whole: number): number {
  return whole === 0 ? 0 : Number((part / whole).toFixed(6));
}
