// Autoregressive generation with the KV cache: the prompt is run once (prefill,
// empty past), then each new token is one step of a single position whose
// positions continue from the cache length (SEMANTICS.md, "Embedding").
// Sampling draws from the one seeded random source, so a seed fixes the text.
import { UserError } from "../base/errors.js";
import { Random } from "../ir/random.js";
import { cacheShapes, forward, inputLimits, type CacheLayer } from "./forward.js";
import type { RunSession } from "./session.js";

export interface SamplingOptions {
  /** 0 = greedy (argmax, lowest id on ties); otherwise logits are divided by it. */
  temperature: number;
  /** Sample among the k most likely tokens only; 0 = all. */
  topK: number;
  seed: number;
}

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  /** Called with each new token id as soon as it is chosen (for streaming). */
  onToken?: (id: number) => void;
}

export interface Generation {
  /** The new tokens only (not the prompt). */
  ids: number[];
  /** Why it stopped: the token budget, or the model's context is full. */
  stop: "max-tokens" | "context";
}

/** Generates after `prompt` with the KV cache. The model must be in decoder form (--kv-cache). */
export async function generate(run: RunSession, prompt: readonly number[], options: GenerateOptions): Promise<Generation> {
  if (!cacheShapes(run)) {
    throw new UserError("MOT440", [run.info.path]);
  }
  if (prompt.length === 0) throw new UserError("MOT442");
  const { context } = inputLimits(run);
  if (context !== undefined && prompt.length > context) {
    throw new UserError("MOT443", [prompt.length, context]);
  }
  const sampler = new Sampler(options);
  const ids: number[] = [];
  let step = await forward(run, [[...prompt]]);
  let length = prompt.length;
  while (ids.length < options.maxTokens) {
    const next = sampler.pick(lastRow(step.logits, step.dims));
    ids.push(next);
    options.onToken?.(next);
    length += 1;
    if (ids.length >= options.maxTokens) break;
    // The next step would place a token at position `context`, which has no embedding.
    if (context !== undefined && length >= context) return { ids, stop: "context" };
    step = await forward(run, [[next]], step.present as CacheLayer[]);
  }
  return { ids, stop: "max-tokens" };
}

function lastRow(logits: Float32Array, dims: readonly number[]): Float32Array {
  const [batch, length, vocab] = dims;
  const start = ((batch - 1) * length + length - 1) * vocab;
  return logits.subarray(start, start + vocab);
}

/** Temperature, top-k and a seeded draw; greedy when the temperature is 0. */
export class Sampler {
  private readonly random: Random;

  constructor(private readonly options: SamplingOptions) {
    if (!(options.temperature >= 0) || !Number.isFinite(options.temperature)) throw new UserError("MOT220", ["temperature", ">= 0", options.temperature]);
    if (!Number.isInteger(options.topK) || options.topK < 0) throw new UserError("MOT220", ["top-k", "a whole number >= 0", options.topK]);
    this.random = new Random(options.seed, "generate");
  }

  pick(logits: Float32Array): number {
    if (this.options.temperature === 0) return argmax(logits);
    let candidates = Array.from(logits.keys());
    if (this.options.topK > 0 && this.options.topK < logits.length) {
      candidates.sort((i, j) => logits[j] - logits[i] || i - j);
      candidates = candidates.slice(0, this.options.topK);
    }
    let max = -Infinity;
    for (const id of candidates) max = Math.max(max, logits[id]);
    const weights = candidates.map((id) => Math.exp((logits[id] - max) / this.options.temperature));
    const total = weights.reduce((a, b) => a + b, 0);
    let target = this.random.uniform() * total;
    for (let i = 0; i < candidates.length; i++) {
      target -= weights[i];
      if (target < 0) return candidates[i];
    }
    return candidates[candidates.length - 1];
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
