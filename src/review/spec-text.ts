// A checked model written back as .mot text: every key and argument spelled out
// (as `motc explain` lists them), `repeat`/`extends` already expanded, and the
// recipe as its own `train` block — canonical (`motc fmt --check` passes) and
// checking to the same model. Used by `motc transition` to write the new spec.
import type { ModelIR } from "../ir/model.js";
import { formatSpec } from "../syntax/format.js";
import { describeModel, formatArgs, formatValue, type Value } from "./describe.js";

/** `header` lines become `#` comments above the model. */
export function modelSpecText(model: ModelIR, header: readonly string[] = []): string {
  const description = describeModel(model);
  const lines: string[] = [...header.map((line) => `# ${line}`.trimEnd()), "version 1", "", `model ${model.name} {`];
  for (const [key, value] of Object.entries(description.hyperparameters)) lines.push(`  ${key} = ${formatValue(value)}`);
  lines.push("");
  for (const part of [description.embed, ...description.sublayers, description.head]) {
    lines.push(`  ${part.kind}(${formatArgs(part.args)})`);
  }
  lines.push("}");
  if (description.recipe) {
    lines.push("", `train ${model.name} {`);
    for (const [key, value] of Object.entries(description.recipe)) {
      if (!isDefaultTemp(key, value)) lines.push(`  ${key} = ${formatValue(value)}`);
    }
    lines.push("}");
  }
  const text = lines.join("\n") + "\n";
  // Through the formatter, so the file is canonical whatever the formatter's spacing rules.
  return formatSpec({ path: `${model.name}.mot`, text }).text;
}

/** `temp = none` is the default and describes no MoT temperature schedule: leave it out. */
function isDefaultTemp(key: string, value: Value): boolean {
  return key === "temp" && value === "none";
}
