// motc summary FILE [--model NAME] [--format text|markdown|json] [--batch N] —
// a layer table per model with totals and training memory (src/review/summary.ts).
import { Option, type Command } from "commander";
import { renderSummaries, summarize, type SummaryFormat } from "../review/summary.js";
import { positiveInteger } from "./numbers.js";
import { loadSpec, selectModel } from "./spec.js";

interface SummaryOptions {
  model?: string;
  format: SummaryFormat;
  batch?: number;
}

export function register(program: Command): void {
  program
    .command("summary")
    .description("a table of each model's layers: output shapes, parameters, FLOPs per token, training memory")
    .argument("<file>", ".mot file")
    .option("-m, --model <name>", "only this model")
    .addOption(new Option("-f, --format <format>", "output format").choices(["text", "markdown", "json"]).default("text"))
    .option("-b, --batch <n>", "batch size of the training-memory estimate (default: the recipe's, else 1)", positiveInteger)
    .action((file: string, options: SummaryOptions) => {
      const result = loadSpec(file);
      const models = options.model === undefined ? result.models : [selectModel(result, file, options.model)];
      process.stdout.write(renderSummaries(models.map((m) => summarize(m, options.batch)), options.format));
    });
}

