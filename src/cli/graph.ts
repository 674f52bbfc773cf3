// motc graph FILE [--model NAME] [-o FILE.svg|FILE.html] — a picture of the
// architecture, laid out by ELK (elkjs, imported only here, lazily) and drawn as SVG.
import type { Command } from "commander";
import { extname, join } from "node:path";
import { UserError } from "../base/errors.js";
import { writeFileAtomic } from "../base/files.js";
import { loadModel } from "./spec.js";
import { outputPath } from "./numbers.js";

interface GraphOptions {
  model?: string;
  output?: string;
}

export function register(program: Command): void {
  program
    .command("graph")
    .description("draw a model's architecture as SVG (or HTML embedding it); default out/NAME.svg")
    .argument("<file>", ".mot file")
    .option("-m, --model <name>", "the model to draw (default: the file's first)")
    .option("-o, --output <file>", "FILE.svg or FILE.html", outputPath)
    .action(async (file: string, options: GraphOptions) => {
      const model = loadModel(file, options.model);
      const output = options.output ?? join("out", `${model.name}.svg`);
      const format = extname(output).toLowerCase();
      if (format !== ".svg" && format !== ".html") throw new UserError("MOT240", [output]);
      const { layoutModel } = await import("../review/graph.js");
      const { renderHtml, renderSvg } = await import("../review/graph-svg.js");
      const graph = await layoutModel(model);
      writeFileAtomic(output, format === ".svg" ? renderSvg(graph) : renderHtml(graph));
      process.stderr.write(`wrote ${output}\n`);
    });
}
