// `motc diff`: a semantic diff of two elaborated models. Both sides are model
// descriptions (every extends/replace/repeat applied and every default filled
// in), so formatting, comments, `let` names and how a stack was written
// (`repeat 4 { … }` or four copies) make no difference — only what the model is.
import { SUBLAYER_KINDS } from "../ir/layers/index.js";
import {
  paramRoles,
  paramsByRole,
  type ParamRole,
  valuesEqual,
  type ModelDescription,
  type PartDescription,
  type Value,
} from "./describe.js";

/** One key or argument that differs; `undefined` on the side that lacks it. */
export interface KeyChange {
  key: string;
  before?: Value;
  after?: Value;
}

export type SublayerChange =
  | { op: "same"; before: PartDescription; after: PartDescription }
  /** Same kind, different arguments. */
  | { op: "changed"; before: PartDescription; after: PartDescription; args: KeyChange[] }
  /** Another kind in its place (`replace mot with ff()`). */
  | { op: "replaced"; before: PartDescription; after: PartDescription }
  | { op: "removed"; before: PartDescription }
  | { op: "added"; after: PartDescription };

export interface TotalChange {
  quantity: string;
  before: number;
  after: number;
}

export interface ModelDiff {
  /** Model names; null when the model exists on one side only. */
  before: string | null;
  after: string | null;
  hyperparameters: KeyChange[];
  /** Argument changes of `embed(...)` and `head(...)`. */
  embed: KeyChange[];
  head: KeyChange[];
  /** The two sublayer stacks aligned, unchanged sublayers included. */
  sublayers: SublayerChange[];
  /** Recipe key changes; a recipe on one side only lists all its keys. */
  recipe: KeyChange[];
  totals: TotalChange[];
  equal: boolean;
}

export function diffModels(a: ModelDescription | null, b: ModelDescription | null): ModelDiff {
  const hyperparameters = diffKeys(a?.hyperparameters ?? {}, b?.hyperparameters ?? {});
  const embed = diffKeys(a?.embed.args ?? {}, b?.embed.args ?? {});
  const head = diffKeys(a?.head.args ?? {}, b?.head.args ?? {});
  const sublayers = alignSublayers(a?.sublayers ?? [], b?.sublayers ?? []);
  const recipe = diffKeys(a?.recipe ?? {}, b?.recipe ?? {});
  const equal =
    a !== null && b !== null &&
    hyperparameters.length === 0 && embed.length === 0 && head.length === 0 && recipe.length === 0 &&
    sublayers.every((s) => s.op === "same");
  return {
    before: a?.name ?? null,
    after: b?.name ?? null,
    hyperparameters, embed, head, sublayers, recipe,
    totals: totals(a, b),
    equal,
  };
}

/** Pairs the models of two files by name, in A's order, then B's new ones. */
export function pairModels<M extends { name: string }>(a: readonly M[], b: readonly M[]): [M | null, M | null][] {
  const pairs: [M | null, M | null][] = a.map((m) => [m, b.find((n) => n.name === m.name) ?? null]);
  for (const m of b) if (!a.some((n) => n.name === m.name)) pairs.push([null, m]);
  return pairs;
}

export function diffKeys(a: Record<string, Value>, b: Record<string, Value>): KeyChange[] {
  const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
  return keys.filter((key) => !valuesEqual(a[key], b[key])).map((key) => ({ key, before: a[key], after: b[key] }));
}

function totals(a: ModelDescription | null, b: ModelDescription | null): TotalChange[] {
  const roleA = a ? paramsByRole(a) : undefined;
  const roleB = b ? paramsByRole(b) : undefined;
  const rows: TotalChange[] = [
    { quantity: "params", before: a?.totals.params ?? 0, after: b?.totals.params ?? 0 },
    { quantity: "active params/token", before: a?.totals.activeParamsPerToken ?? 0, after: b?.totals.activeParamsPerToken ?? 0 },
    { quantity: "FLOPs/token", before: a?.totals.flopsPerToken ?? 0, after: b?.totals.flopsPerToken ?? 0 },
    { quantity: "sublayers", before: a?.sublayers.length ?? 0, after: b?.sublayers.length ?? 0 },
  ];
  for (const role of paramRoles) {
    rows.push({ quantity: `${roleLabels[role]} params`, before: roleA?.[role] ?? 0, after: roleB?.[role] ?? 0 });
  }
  return rows;
}

const roleLabels: Record<ParamRole, string> = {
  embedding: "embedding",
  attention: "attention",
  // "FFN (ff/mot/moe)": every kind whose parameters count as the block's feed-forward part (role "ffn").
  ffn: `FFN (${Object.values(SUBLAYER_KINDS).filter((kind) => kind.role === "ffn").map((kind) => kind.kind).join("/")})`,
  norm: "norm",
  unembedding: "unembedding",
};

// ---- aligning two sublayer stacks ------------------------------------------------

const sameCall = (x: PartDescription, y: PartDescription) =>
  x.kind === y.kind && diffKeys(x.args, y.args).length === 0;
const sameKind = (x: PartDescription, y: PartDescription) => x.kind === y.kind;

/**
 * A longest common subsequence of identical sublayers anchors the alignment;
 * between anchors, a second LCS pairs sublayers of the same kind ("changed"),
 * and what is left pairs up in order ("replaced") or is added or removed.
 */
export function alignSublayers(a: readonly PartDescription[], b: readonly PartDescription[]): SublayerChange[] {
  const out: SublayerChange[] = [];
  forEachGap(a, b, sameCall, (x, y) => out.push({ op: "same", before: x, after: y }), (ga, gb) => {
    forEachGap(ga, gb, sameKind, (x, y) => out.push({ op: "changed", before: x, after: y, args: diffKeys(x.args, y.args) }), (ra, rb) => {
      const paired = Math.min(ra.length, rb.length);
      for (let i = 0; i < paired; i++) out.push({ op: "replaced", before: ra[i], after: rb[i] });
      for (const x of ra.slice(paired)) out.push({ op: "removed", before: x });
      for (const y of rb.slice(paired)) out.push({ op: "added", after: y });
    });
  });
  return out;
}

/** Walks an LCS of `a` and `b` under `eq`: `match` for each pair, `gap` for the runs between (in order). */
function forEachGap<T>(
  a: readonly T[],
  b: readonly T[],
  eq: (x: T, y: T) => boolean,
  match: (x: T, y: T) => void,
  gap: (a: T[], b: T[]) => void,
): void {
  // lengths[i][j]: LCS length of a[i:] and b[j:]
  const lengths = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] = eq(a[i], b[j]) ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  let i = 0, j = 0, gapA: T[] = [], gapB: T[] = [];
  const flush = () => {
    if (gapA.length || gapB.length) gap(gapA, gapB);
    gapA = [];
    gapB = [];
  };
  while (i < a.length && j < b.length) {
    if (eq(a[i], b[j]) && lengths[i][j] === lengths[i + 1][j + 1] + 1) {
      flush();
      match(a[i++], b[j++]);
    } else if (lengths[i + 1][j] >= lengths[i][j + 1]) {
      gapA.push(a[i++]);
    } else {
      gapB.push(b[j++]);
    }
  }
  gapA.push(...a.slice(i));
  gapB.push(...b.slice(j));
  flush();
}

export function changedSublayers(diff: ModelDiff): Exclude<SublayerChange, { op: "same" }>[] {
  return diff.sublayers.filter((s): s is Exclude<SublayerChange, { op: "same" }> => s.op !== "same");
}

/** "4 replaced, 1 added" */
export function describeSublayerChanges(diff: ModelDiff): string {
  const counts = new Map<string, number>();
  for (const s of changedSublayers(diff)) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
  return [...counts].map(([op, n]) => `${n} ${op}`).join(", ");
}
