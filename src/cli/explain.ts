// motc explain FILE [--model NAME] [--json] [--textconv] — each model elaborated:
// every default spelled out, repeat/extends/replace expanded, with shapes,
// parameters and FLOPs per token (src/review/explain.ts renders it).
import type { Command } from "commander";
import { checkSpec } from "../check/index.js";
import { describeModel } from "../review/describe.js";
import { explainJson, explainText } from "../review/explain.js";
import { hasErrors } from "../syntax/diagnostics.js";
import { loadSpec, readSpecText, selectModel } from "./spec.js";

interface ExplainOptions {
  model?: string;
  json?: boolean;
  textconv?: boolean;
}

export function register(program: Command): void {
  program
    .command("explain")
    .description("print each model with every default filled in, its shapes, parameters and FLOPs per token")
    .argument("<file>", ".mot file")
    .option("-m, --model <name>", "only this model")
    .option("--json", "machine-readable output (schema motc.explain/1)")
    .option("--textconv", "for git's diff.mot.textconv: never fails; a spec with errors is shown as written")
    .action((file: string, options: ExplainOptions) => {
      if (options.textconv) {
        process.stdout.write(textconv(file));
        return;
      }
      const result = loadSpec(file);
      const models = options.model === undefined ? result.models : [selectModel(result, file, options.model)];
      const descriptions = models.map(describeModel);
      process.stdout.write(options.json ? explainJson(descriptions) : explainText(descriptions));
    });
}

/**
 * git runs the textconv driver on temporary copies of both sides of a diff; a
 * failing driver aborts the whole `git diff`, so a spec that does not check is
 * shown as written (its diff is then a plain text diff) instead of failing.
 */
function textconv(file: string): string {
  const text = readSpecText(file);
  const result = checkSpec({ path: file, text });
  if (hasErrors(result.diagnostics)) {
    return `# motc explain: this spec has errors (run motc check); shown as written\n${text}`;
  }
  return explainText(result.models.map(describeModel));
}
