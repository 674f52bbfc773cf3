// motc compile FILE [--model NAME] [--out DIR] [--weights PATH] [--seed N] [--target onnx|tfjs|torch]
//                   [--opset N] [--kv-cache] [--fp16] [--no-mix[=group1|hard]]
// Writes DIR/NAME.onnx (and DIR/NAME.onnx.data when the weights pass 2 GB), or with
// --target tfjs the training graph DIR/NAME.tfjs/{model.json,weights.bin}, or with
// --target torch the PyTorch program DIR/NAME.torch/ (model.py, train.py, initial/), atomically.
import { Option, type Command } from "commander";
import { freemem } from "node:os";
import { join } from "node:path";
import type { Weights } from "../ir/init.js";
import type { ModelIR } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";
import { NO_MIX_MODES, type NoMixMode } from "../ir/nomix.js";
import { UserError } from "../base/errors.js";
import { writeFilesAtomicAsync, type FileChunks } from "../base/files.js";
import { outputPath } from "./numbers.js";
import { guardWrites } from "./signals.js";
import { loadSpec, readSpecText, selectModel } from "./spec.js";

interface CompileFlags {
  model?: string;
  out: string;
  weights?: string;
  force?: boolean;
  seed?: string;
  opset: string;
  target: "onnx" | "tfjs" | "torch";
  kvCache?: boolean;
  fp16?: boolean;
  /** `--no-mix[=MODE]`: true without it, false for a bare `--no-mix`, else the mode. */
  mix: boolean | NoMixMode;
}

export function register(program: Command): void {
  program
    .command("compile")
    .description("compile a model to an ONNX inference graph (DIR/NAME.onnx)")
    .argument("<file>", "a .mot spec")
    .option("-m, --model <name>", "which model of the file (default: the first)")
    .option("--out <dir>", "output directory", outputPath, "out")
    .option("--weights <dir>", "a checkpoint, or a run directory of 'motc train' (its latest checkpoint) (default: seeded initial weights)")
    .option("--force", "use --weights recorded for another definition of the model, failing their hash, or not finite (shapes must still match)")
    .option("--seed <n>", "seed of the initial weights (default: the recipe's seed, else 0)")
    .addOption(
      new Option("--target <target>", "onnx: the inference graph; tfjs: the training graph as a TensorFlow.js artifact; torch: a PyTorch program (model.py, train.py, initial weights)")
        .choices(["onnx", "tfjs", "torch"])
        .default("onnx"),
    )
    .option("--opset <n>", "ONNX opset (17 or later)", "17")
    .option("--kv-cache", "decoder form: past_key_values inputs and present outputs")
    .option("--fp16", "store the weights as float16 (compute stays float32)")
    .addOption(
      new Option(
        "--no-mix [mode]",
        "private decoding: no token is mixed with another sequence's. group1 (default): every MoT group is one row (G = 1, " +
          "a dense FFN of width E·f; a sequence's logits never depend on its batch). hard: the τ → 0 expert-choice limit at the " +
          "trained G, each expert takes its group's top row with weight 1 (no blending, but which row it takes depends on the group)",
      ).choices(NO_MIX_MODES),
    )
    .action(async (file: string, flags: CompileFlags) => compileCommand(file, flags));
}

async function compileCommand(file: string, flags: CompileFlags): Promise<void> {
  const opset = integer(flags.opset, "--opset");
  const seedFlag = flags.seed === undefined ? undefined : integer(flags.seed, "--seed");
  const model = selectModel(loadSpec(file), file, flags.model);
  const params = parameterTable(model).reduce((sum, p) => sum + paramCount(p.shape), 0);
  checkMemory(model, params, flags.fp16 ?? false);

  const seed = seedFlag ?? model.recipe?.seed ?? 0;
  const weights = await loadWeights(model, flags.weights, seed, flags.force ?? false);
  if (flags.target === "tfjs") return writeTfjs(model, weights, file, flags, params);
  if (flags.target === "torch") return writeTorch(model, weights, file, flags, seed, params);
  const { lowerToOnnxFiles } = await import("../onnx/index.js");
  const path = join(flags.out, `${model.name}.onnx`);
  const externalLocation = `${model.name}.onnx.data`;
  const files = lowerToOnnxFiles(model, weights, {
    opset, kvCache: flags.kvCache, fp16: flags.fp16, specText: readSpecText(file), externalLocation, noMix: noMixMode(flags.mix),
  });
  const writes = [{ path, chunks: files.model }];
  if (files.external) writes.unshift({ path: join(flags.out, externalLocation), chunks: files.external.chunks });
  await writeOutputs(writes);

  const bytes = writes.reduce((sum, w) => sum + w.chunks.reduce((s, c) => s + c.byteLength, 0), 0);
  const external = files.external ? ` (weights in ${externalLocation})` : "";
  process.stdout.write(`${path}${external}  ${formatBytes(bytes)}  ${params.toLocaleString("en-US")} params\n`);
}

async function writeTfjs(model: ModelIR, weights: Weights, file: string, flags: CompileFlags, params: number): Promise<void> {
  refuseOnnxFlags(flags);
  const { tfjsArtifact } = await import("../tfjs/artifact.js");
  const { version } = await import("../base/version.js");
  const artifact = tfjsArtifact(model, weights, readSpecText(file), `motc ${version}`);
  const dir = join(flags.out, `${model.name}.tfjs`);
  const encoder = new TextEncoder();
  await writeOutputs([
    { path: join(dir, "weights.bin"), chunks: artifact.weightsBin },
    { path: join(dir, "model.json"), chunks: [encoder.encode(artifact.modelJson)] },
  ]);
  const bytes = artifact.weightsBin.reduce((sum, c) => sum + c.byteLength, 0);
  process.stdout.write(`${dir}/  ${formatBytes(bytes)}  ${params.toLocaleString("en-US")} params (tfjs training graph)\n`);
}

/**
 * --target torch: DIR/NAME.torch/ with model.py, train.py (when the model has a recipe;
 * its seed is the weights') and the initial weights as a checkpoint, initial/.
 */
async function writeTorch(model: ModelIR, weights: Weights, file: string, flags: CompileFlags, seed: number, params: number): Promise<void> {
  refuseOnnxFlags(flags);
  const { writeTorchProgram } = await import("../train/torch-program.js");
  const recipe = model.recipe && { ...model.recipe, seed };
  const written = writeTorchProgram(join(flags.out, `${model.name}.torch`), model, weights, { recipe, spec: file });
  const without = recipe ? "" : ` (no train.py: model '${model.name}' has no train recipe; motc train --engine torch writes one)`;
  process.stdout.write(`${written.dir}/  ${formatBytes(written.bytes)}  ${params.toLocaleString("en-US")} params (PyTorch: ${written.files.join(", ")})${without}\n`);
}

function refuseOnnxFlags(flags: CompileFlags): void {
  const onnxOnly = [flags.kvCache && "--kv-cache", flags.fp16 && "--fp16", flags.mix !== true && "--no-mix"].filter(Boolean);
  if (onnxOnly.length > 0) throw new UserError("MOT223", [onnxOnly.join(", ")]);
}

/** Hundreds of MB, written so that Ctrl-C, SIGTERM or SIGHUP meanwhile leaves no temporary behind. */
function writeOutputs(writes: FileChunks[]): Promise<void> {
  return guardWrites(writes.map((w) => w.path).join(" and "), () => writeFilesAtomicAsync(writes));
}

async function loadWeights(model: ModelIR, checkpoint: string | undefined, seed: number, force: boolean): Promise<Weights> {
  if (checkpoint !== undefined) {
    const { readCheckpoint } = await import("../train/checkpoint.js");
    const note = force ? (line: string) => process.stderr.write(line + "\n") : undefined;
    return readCheckpoint(checkpoint, model, { verify: true, force: note }).weights;
  }
  const { initialWeights } = await import("../ir/init.js");
  return initialWeights(model, seed);
}

/** The weights are held once as float32 (plus a float16 copy with --fp16); refuse early rather than swap or crash. */
function checkMemory(model: ModelIR, params: number, fp16: boolean): void {
  const needed = params * (fp16 ? 6 : 4);
  const free = freemem();
  if (needed > free) {
    throw new UserError("MOT322", [model.name, formatBytes(needed), formatBytes(free)]);
  }
}

function noMixMode(mix: boolean | NoMixMode): NoMixMode | undefined {
  if (mix === true) return undefined;
  return mix === false ? "group1" : mix;
}

function integer(text: string, flag: string): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) throw new UserError("MOT220", [flag, "an integer", text]);
  return value;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}
