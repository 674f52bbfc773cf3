// A model's layer stack before expansion: its own (when its body lists layers)
// or its parent's with `replace` applied; then the rules of LANGUAGE.md
// ("Layers"): `embed` first and `head` last, each exactly once and never inside
// `repeat`; and the size of the expanded stack, computed arithmetically before
// anything is expanded so that `repeat 1G` is refused at once.
import type { Sublayer } from "../ir/model.js";
import type { LayerCall, ModelDecl, Repeat } from "../syntax/ast.js";
import { suggest } from "../syntax/diagnostics.js";
import type { Span } from "../syntax/span.js";
import { LAYER_NAMES, isLayerName, type LayerResult } from "./layers.js";
import type { Reporter } from "./report.js";

export type StackNode =
  | { kind: "layer"; call: LayerCall }
  | { kind: "repeat"; repeat: Repeat; body: StackNode[] };

/** The most sublayers a model may expand to (after every `repeat`). */
export const MAX_SUBLAYERS = 10_000;

/** The layers the model's own body lists, or undefined when it lists none (it inherits). */
export function ownStack(decl: ModelDecl): StackNode[] | undefined {
  const nodes: StackNode[] = [];
  for (const statement of decl.body) {
    if (statement.kind === "layer" || statement.kind === "repeat") nodes.push(toNode(statement));
  }
  return nodes.length > 0 ? nodes : undefined;
}

function toNode(statement: LayerCall | Repeat): StackNode {
  return statement.kind === "layer"
    ? { kind: "layer", call: statement }
    : { kind: "repeat", repeat: statement, body: statement.body.map(toNode) };
}

/**
 * The model's `replace KIND with LAYER` statements, checked against the
 * inherited stack (undefined when the parent is itself broken: then only the
 * checks that do not need it are made). `ok` is false after an error.
 */
export function replacements(
  decl: ModelDecl,
  inherited: StackNode[] | undefined,
  listsOwnLayers: boolean,
  reporter: Reporter,
): { byKind: Map<string, LayerCall>; ok: boolean } {
  const byKind = new Map<string, LayerCall>();
  let ok = true;
  const kinds = inherited ? layerKinds(inherited) : undefined;
  const fail = (...args: Parameters<Reporter["report"]>) => {
    reporter.report(...args);
    ok = false;
  };
  for (const statement of decl.body) {
    if (statement.kind !== "replace") continue;
    const target = statement.target;
    if (!decl.parent) fail("MOT035", [], statement.span);
    else if (listsOwnLayers) fail("MOT046", [decl.name.name], statement.span, "a body that lists layers replaces the parent's whole stack");
    else if (!isLayerName(target.name)) fail("MOT011", [target.name], target.span, suggest(target.name, LAYER_NAMES));
    else if (kinds && !kinds.has(target.name)) fail("MOT034", [decl.parent.name, target.name], target.span, suggest(target.name, kinds));
    else if (byKind.has(target.name)) fail("MOT019", [`replace ${target.name}`], target.span);
    else byKind.set(target.name, statement.layer);
  }
  return { byKind, ok };
}

export function applyReplacements(stack: StackNode[], byKind: ReadonlyMap<string, LayerCall>): StackNode[] {
  if (byKind.size === 0) return stack;
  return stack.map((node): StackNode => {
    if (node.kind === "repeat") return { ...node, body: applyReplacements(node.body, byKind) };
    const replacement = byKind.get(node.call.name.name);
    return replacement ? { kind: "layer", call: replacement } : node;
  });
}

function layerKinds(stack: StackNode[], into = new Set<string>()): Set<string> {
  for (const node of stack) {
    if (node.kind === "layer") into.add(node.call.name.name);
    else layerKinds(node.body, into);
  }
  return into;
}

/** Every distinct layer call in the stack, each once, in order. */
export function layerCalls(stack: StackNode[], into = new Set<LayerCall>()): Set<LayerCall> {
  for (const node of stack) {
    if (node.kind === "layer") into.add(node.call);
    else layerCalls(node.body, into);
  }
  return into;
}

/** `embed` first and `head` last, each exactly once, neither inside `repeat`. */
export function checkPlacement(stack: StackNode[], model: string, modelSpan: Span, reporter: Reporter): boolean {
  const found: Record<"embed" | "head", { node: StackNode; nested: boolean }[]> = { embed: [], head: [] };
  const walk = (nodes: StackNode[], nested: boolean) => {
    for (const node of nodes) {
      if (node.kind === "repeat") walk(node.body, true);
      else if (node.call.name.name === "embed" || node.call.name.name === "head") found[node.call.name.name].push({ node, nested });
    }
  };
  walk(stack, false);
  let ok = true;
  const rules = [
    { kind: "embed", where: "it must come first", at: stack[0], occurrences: found.embed, keep: 0 },
    { kind: "head", where: "it must come last", at: stack[stack.length - 1], occurrences: found.head, keep: found.head.length - 1 },
  ] as const;
  for (const { kind, where, at, occurrences, keep } of rules) {
    if (occurrences.length === 0) {
      reporter.report("MOT031", [model, kind], modelSpan);
      ok = false;
      continue;
    }
    occurrences.forEach(({ node, nested }, i) => {
      const span = (node as Extract<StackNode, { kind: "layer" }>).call.name.span;
      if (i !== keep) reporter.report("MOT032", [kind], span);
      else if (nested) reporter.report("MOT033", [kind, "it cannot be inside repeat"], span);
      else if (node !== at) reporter.report("MOT033", [kind, where], span);
      else return;
      ok = false;
    });
  }
  return ok;
}

/**
 * How many layers the stack expands to, multiplied out before expanding.
 * `countOf` gives a repeat's checked count (undefined after an error).
 */
export function expandedSize(
  stack: StackNode[],
  countOf: (repeat: Repeat) => number | undefined,
  reporter: Reporter,
): number | undefined {
  let total = 0;
  let ok = true;
  for (const node of stack) {
    if (node.kind === "layer") {
      total += 1;
      continue;
    }
    const count = countOf(node.repeat);
    const inner = expandedSize(node.body, countOf, reporter);
    if (count === undefined || inner === undefined) {
      ok = false;
      continue;
    }
    const size = count * inner;
    if (size > MAX_SUBLAYERS) {
      reporter.report("MOT038", ["the expanded layer stack", `${size} layers`, `${MAX_SUBLAYERS}`], node.repeat.count.span);
      ok = false;
      continue;
    }
    total += size;
  }
  return ok ? total : undefined;
}

/** The expanded stack: sublayers numbered 0, 1, … in order (SEMANTICS.md), and the call each came from. */
export function expand(
  stack: StackNode[],
  results: ReadonlyMap<LayerCall, LayerResult>,
  countOf: (repeat: Repeat) => number | undefined,
): { sublayers: Sublayer[]; calls: LayerCall[] } {
  const sublayers: Sublayer[] = [];
  const calls: LayerCall[] = [];
  const walk = (nodes: StackNode[]) => {
    for (const node of nodes) {
      if (node.kind === "repeat") {
        const count = countOf(node.repeat) ?? 0;
        for (let i = 0; i < count; i++) walk(node.body);
        continue;
      }
      const result = results.get(node.call);
      if (result?.kind !== "sublayer") continue;
      sublayers.push({ index: sublayers.length, ...result.layer } as Sublayer);
      calls.push(node.call);
    }
  };
  walk(stack);
  return { sublayers, calls };
}
