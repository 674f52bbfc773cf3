// Sizes motc refuses before anything is allocated: a parameter tensor too long
// for one typed array, or a model with more parameters than any machine holds.
// Counted from the parameter table's shapes (a few numbers per tensor), never
// by making the tensors.
import type { ModelIR } from "../ir/model.js";
import { parameterTable, paramCount } from "../ir/params.js";
import type { LayerCall } from "../syntax/ast.js";
import type { Span } from "../syntax/span.js";
import type { Reporter } from "./report.js";

/**
 * Bytes of one spec file, refused before it is read. Real specs are a few kB
 * (a 10,000-sublayer model spelled out is ~1 MB); the parser holds about 2 kB
 * per token, so a megabyte of the densest input (`1+1+…`) takes ~8 s and
 * ~1.2 GB to check, and much more would exhaust V8's heap.
 */
export const MAX_SPEC_BYTES = 2 ** 20;
/** Elements of one parameter tensor (a Float32Array of 8 GiB). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;
/** Parameters of a whole model (400 GB of float32). */
export const MAX_MODEL_PARAMS = 1e11;

export interface Owners {
  model: Span;
  embed: Span;
  head: Span;
  /** The call each sublayer came from, by index. */
  sublayers: readonly LayerCall[];
}

/** Reports every tensor over the limit (once per layer call) and a model over its limit. */
export function checkParameterSizes(model: ModelIR, owners: Owners, reporter: Reporter): boolean {
  let total = 0;
  let ok = true;
  const reported = new Set<string>();
  for (const spec of parameterTable(model)) {
    const elements = paramCount(spec.shape);
    total += elements;
    if (elements <= MAX_TENSOR_ELEMENTS) continue;
    ok = false;
    const span = spec.owner === "embed" ? owners.embed : spec.owner === "head" ? owners.head : owners.sublayers[spec.owner].name.span;
    // A layer inside `repeat` is one mistake, not one per copy.
    const local = spec.name.replace(/^layers\.\d+\./, "");
    const key = `${span.offset}:${local}`;
    if (reported.has(key)) continue;
    reported.add(key);
    reporter.report("MOT038", [`parameter '${spec.name}' [${spec.shape.join(", ")}]`, `${elements} elements`, `${MAX_TENSOR_ELEMENTS}`], span);
  }
  // The fixed sinusoidal table P [context, d] is a tensor the lowerings build, though not a parameter.
  const table = model.position === "sinusoidal" ? model.context * model.dModel : 0;
  if (table > MAX_TENSOR_ELEMENTS) {
    reporter.report("MOT038", [`the sinusoidal position table [${model.context}, ${model.dModel}]`, `${table} elements`, `${MAX_TENSOR_ELEMENTS}`], owners.embed);
    ok = false;
  }
  if (total > MAX_MODEL_PARAMS) {
    reporter.report("MOT038", [`model '${model.name}'`, `${total} parameters`, `${MAX_MODEL_PARAMS}`], owners.model);
    ok = false;
  }
  return ok;
}
