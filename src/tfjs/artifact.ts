// The training graph as a TensorFlow.js artifact (`motc compile --target tfjs`):
//   DIR/NAME.tfjs/model.json   tfjs's model.json shape: `weightsManifest` lists every
//                              parameter (SEMANTICS.md name, shape, float32) in
//                              parameter-table order; `modelTopology` is the motc
//                              model: the spec text and the model's name.
//   DIR/NAME.tfjs/weights.bin  the tensors, little-endian float32, concatenated.
// tfjs's own loaders read the weights (tf.io.decodeWeights); the topology is a
// .mot spec, so `loadTfjsArtifact` rebuilds the graph with motc's layers
// (createTrainingGraph) — the layers are registered by being motc's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as tfjs from "@tensorflow/tfjs-core";
import { checkSpec } from "../check/index.js";
import { UserError, describeFsError } from "../base/errors.js";
import type { Weights } from "../ir/init.js";
import type { ModelIR } from "../ir/model.js";
import { parameterTable } from "../ir/params.js";
import { createTrainingGraph, type TrainingGraph } from "./index.js";

export const ARTIFACT_FORMAT = "motc-tfjs";
const WEIGHTS_FILE = "weights.bin";

interface ArtifactJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: { model: string; spec: string };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: "float32" }[] }[];
}

/** model.json and weights.bin of `model` with `weights` (pure: no tfjs needed). */
export function tfjsArtifact(model: ModelIR, weights: Weights, specText: string, generatedBy: string): { modelJson: string; weightsBin: Uint8Array[] } {
  const table = parameterTable(model);
  const json: ArtifactJson = {
    format: ARTIFACT_FORMAT,
    generatedBy,
    convertedBy: null,
    modelTopology: { model: model.name, spec: specText },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: table.map((p) => ({ name: p.name, shape: p.shape, dtype: "float32" })) }],
  };
  const weightsBin = table.map((p) => {
    const values = weights.get(p.name);
    if (!values) throw new Error(`internal: no weights for ${p.name}`);
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  });
  return { modelJson: JSON.stringify(json, null, 1) + "\n", weightsBin };
}

/** Reads DIR/model.json + weights, re-checks its spec and builds the training graph. */
export function loadTfjsArtifact(tf: typeof tfjs, dir: string): { model: ModelIR; graph: TrainingGraph } {
  const json = readJson(join(dir, "model.json"));
  if (json.format !== ARTIFACT_FORMAT || !json.modelTopology?.spec || !Array.isArray(json.weightsManifest)) {
    throw new UserError("MOT310", [dir]);
  }
  const checked = checkSpec({ path: `${dir}/model.json#spec`, text: json.modelTopology.spec });
  const model = checked.models.find((m) => m.name === json.modelTopology.model);
  if (!model) throw new UserError("MOT311", [dir, json.modelTopology.model]);

  const weights: Weights = new Map();
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((path) => readBytes(join(dir, path))));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const tensors = tf.io.decodeWeights(buffer, group.weights);
    for (const spec of group.weights) {
      weights.set(spec.name, tensors[spec.name].dataSync() as Float32Array);
      tensors[spec.name].dispose();
    }
  }
  for (const spec of parameterTable(model)) {
    if (!weights.has(spec.name)) throw new UserError("MOT312", [dir, spec.name]);
  }
  return { model, graph: createTrainingGraph(tf, model, weights) };
}

function readJson(path: string): ArtifactJson {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ArtifactJson;
  } catch (error) {
    throw error instanceof SyntaxError ? new UserError("MOT313", [path]) : new UserError("MOT201", [path, describeFsError(error)]);
  }
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UserError("MOT201", [path, describeFsError(error)]);
  }
}
