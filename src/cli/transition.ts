// motc transition FILE --model NAME --weights CKPT — turn a trained MoT model into
// its sparse token-choice twin (src/ir/transition.ts): writes DIR/NAME_tc.mot and
// the checkpoint DIR/NAME_tc.train/, ready for
// `motc train DIR/NAME_tc.mot --resume-from DIR/NAME_tc.train`.
import { join } from "node:path";
import type { Command } from "commander";
import { checkSpec } from "../check/index.js";
import { hasErrors } from "../syntax/diagnostics.js";
import { positiveInteger, positiveNumber, outputPath } from "./numbers.js";
import { loadModel } from "./spec.js";

interface TransitionFlags {
  model?: string;
  weights: string;
  out?: string;
  topk?: number;
  capacity?: number;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command("transition")
    .description("turn a trained MoT model into its token-choice MoE twin (controller → router): a new spec and checkpoint to fine-tune")
    .argument("<file>", ".mot spec")
    .option("-m, --model <name>", "the MoT model (default: the file's first)")
    .requiredOption("--weights <dir>", "its trained checkpoint, or a run directory (its latest checkpoint; e.g. out/NAME.train)")
    .option("--out <dir>", "where NAME_tc.mot and NAME_tc.train/ go (default: out/NAME_tc.transition)", outputPath)
    .option("--topk <k>", "experts per token (default 1)", positiveInteger)
    .option("--capacity <c>", "training capacity factor of each expert (default 1.25)", positiveNumber)
    .option("--force", "use --weights recorded for another definition of the model, failing their hash, or not finite (shapes must still match)")
    .action(async (file: string, flags: TransitionFlags) => {
      const model = loadModel(file, flags.model);
      const options = { topk: flags.topk, capacity: flags.capacity };
      const { checkTransition, transitionModel } = await import("../ir/transition.js");
      checkTransition(model, options);
      const { checkpointFiles, readCheckpoint } = await import("../train/checkpoint.js");
      const { modelSpecText } = await import("../review/spec-text.js");
      const note = (line: string) => process.stderr.write(line + "\n");
      const { weights, manifest } = readCheckpoint(flags.weights, model, { verify: true, force: flags.force ? note : undefined });
      const twin = transitionModel(model, weights, options);
      const name = twin.model.name;
      const text = modelSpecText(twin.model, [
        `${name}: the token-choice twin of '${model.name}' (${file}), made by motc transition`,
        `from ${flags.weights} (step ${manifest.step}): each mot layer is a moe with the same experts,`,
        "its controller divided by the learned temperature as the router.",
      ]);
      // The written spec must check to exactly this model, or the checkpoint would not load.
      const checked = checkSpec({ path: `${name}.mot`, text });
      if (hasErrors(checked.diagnostics) || canonical(checked.models[0]) !== canonical(twin.model)) {
        throw new Error(`the spec written for ${name} does not check back to the transitioned model`);
      }

      const out = flags.out ?? join("out", `${name}.transition`);
      const specPath = join(out, `${name}.mot`);
      const checkpointDir = join(out, `${name}.train`);
      const { writeSpecAndCheckpoint } = await import("../train/rundir.js");
      const files = checkpointFiles("", twin.model, 0, twin.weights, {
        transition: { from: model.name, spec: file, checkpoint: flags.weights, step: manifest.step, temperatures: twin.folded },
      });
      writeSpecAndCheckpoint(out, { path: specPath, text }, { dir: checkpointDir, files }, note);
      const taus = twin.folded.map((f) => `layers.${f.index} τ=${f.temperature.toPrecision(4)}`).join(", ");
      process.stdout.write(
        `wrote ${specPath} and ${checkpointDir}: ${twin.folded.length} mot layer${twin.folded.length === 1 ? "" : "s"} → ` +
          `moe(token_choice, topk ${flags.topk ?? 1}); router = controller / τ (${taus})\n` +
          `fine-tune: motc train ${specPath} --resume-from ${checkpointDir} --steps N\n`,
      );
    });
}

/** JSON with object keys sorted, so two equal models print the same whatever order their keys were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
