// Syntax tree → checked models. Resolves `extends` (late-bound: a child's
// assignments and constants replace its parent's, and the parent's expressions
// see them), applies `replace`, checks every key, layer and recipe, expands
// `repeat`, and numbers the sublayers (SEMANTICS.md). A model is returned only
// when nothing about it — its own statements, what it inherits, its recipe —
// had an error.
import { DEFAULT_INIT, type InitScheme, type ModelIR, type Sublayer } from "../ir/model.js";
import type { Let, ModelDecl, Repeat, SpecFile, TrainDecl } from "../syntax/ast.js";
import { suggest } from "../syntax/diagnostics.js";
import { MODEL_KEYS, blockBindings } from "./bindings.js";
import { evaluate } from "./eval.js";
import { readInit } from "./init.js";
import { checkLayer, type LayerContext, type LayerResult } from "./layers.js";
import { checkParameterSizes } from "./limits.js";
import { Reader } from "./reader.js";
import { RECIPE_KEYS, checkRecipe, type TrainBlock } from "./recipe.js";
import type { Reporter } from "./report.js";
import { Scope, type Binding, type Default } from "./scope.js";
import {
  MAX_SUBLAYERS, applyReplacements, checkPlacement, expand, expandedSize, layerCalls, ownStack, replacements, type StackNode,
} from "./stack.js";
import { ERROR, type Value } from "./values.js";
import type { LayerCall } from "../syntax/ast.js";


/** A model declaration with what it inherits merged in. */
interface ResolvedModel {
  decl: ModelDecl;
  parent?: ResolvedModel;
  bindings: ReadonlyMap<string, Binding>;
  /** Undefined when it cannot be known (the parent is unknown or in a cycle). */
  stack?: StackNode[];
  /** An error in its own statements or an ancestor's: never returned as clean. */
  broken: boolean;
  /**
   * Its ancestry is unknown (an unknown parent, a cycle) or it is a second
   * declaration of a name: checking its keys and layers would only report
   * what a parent would have provided, so it is not checked further.
   */
  skip: boolean;
}

const number = (value: number): Value => ({ kind: "number", value });

const MODEL_DEFAULTS = new Map<string, Default | undefined>([
  ["vocab", undefined],
  ["context", undefined],
  ["d_model", undefined],
  ["d_ff", (scope) => {
    const dModel = scope.lookup("d_model");
    return dModel?.kind === "number" ? { ...dModel, value: 4 * dModel.value } : ERROR;
  }],
  ["norm", () => ({ kind: "word", word: "layernorm" })],
  ["norm_eps", () => number(1e-5)],
  ["dropout", () => number(0)],
  ["init", () => ({ kind: "call", callee: "normal", fields: { std: DEFAULT_INIT.std } })],
]);

export class Elaborator {
  private readonly models = new Map<string, ModelDecl>();
  private readonly duplicates = new Set<ModelDecl>();
  private readonly trains = new Map<string, TrainBlock & { ok: boolean }>();
  private readonly resolved = new Map<ModelDecl, ResolvedModel>();
  private readonly resolving: ModelDecl[] = [];
  /** Constants some expression used; the others are warned about (MOT100). */
  private readonly usedLets = new Set<Let>();
  /** Blocks whose constants were evaluated (lets elsewhere are not judged unused). */
  private readonly checkedBlocks = new Set<ModelDecl | TrainDecl>();

  constructor(private readonly spec: SpecFile, private readonly reporter: Reporter) {}

  run(): ModelIR[] {
    const modelDecls = this.spec.decls.filter((d): d is ModelDecl => d.kind === "model");
    for (const decl of modelDecls) {
      if (this.models.has(decl.name.name)) {
        this.reporter.report("MOT017", [decl.name.name], decl.name.span);
        this.duplicates.add(decl);
      } else {
        this.models.set(decl.name.name, decl);
      }
    }
    for (const decl of this.spec.decls) if (decl.kind === "train") this.addTrain(decl);
    const checked: ModelIR[] = [];
    for (const decl of modelDecls) {
      const model = this.checkModel(this.resolve(decl));
      if (model) checked.push(model);
    }
    this.reportUnusedLets();
    return checked;
  }

  private addTrain(decl: TrainDecl): void {
    const name = decl.name.name;
    if (!this.models.has(name)) {
      this.reporter.report("MOT040", [name], decl.name.span, suggest(name, this.models.keys()));
    } else if (this.trains.has(name)) {
      this.reporter.report("MOT018", [name], decl.name.span);
    } else {
      const { bindings, ok } = blockBindings(decl.body, RECIPE_KEYS, "recipe", this.reporter);
      this.trains.set(name, { decl, bindings, ok });
    }
  }

  private resolve(decl: ModelDecl): ResolvedModel {
    const known = this.resolved.get(decl);
    if (known) return known;
    this.resolving.push(decl);
    let broken = this.duplicates.has(decl);
    let parent: ResolvedModel | undefined;
    let parentKnown = true;
    if (decl.parent) {
      const parentDecl = this.models.get(decl.parent.name);
      if (!parentDecl) {
        this.reporter.report("MOT015", [decl.parent.name], decl.parent.span, suggest(decl.parent.name, this.models.keys()));
        parentKnown = false;
      } else if (this.resolving.includes(parentDecl)) {
        const cycle = this.resolving.slice(this.resolving.indexOf(parentDecl)).map((d) => d.name.name);
        this.reporter.report("MOT021", [decl.name.name, [decl.name.name, ...cycle].join(" -> ")], decl.parent.span);
        parentKnown = false;
      } else {
        parent = this.resolve(parentDecl);
      }
    }
    const own = blockBindings(decl.body, MODEL_KEYS, "model", this.reporter);
    const bindings = new Map(parent?.bindings);
    for (const [name, binding] of own.bindings) bindings.set(name, binding);

    const listed = ownStack(decl);
    const inherited = parent?.stack;
    const replaced = replacements(decl, inherited, listed !== undefined, this.reporter);
    const stack = listed ?? (inherited ? applyReplacements(inherited, replaced.byKind) : parentKnown && !parent ? [] : undefined);
    broken ||= !parentKnown || (parent?.broken ?? false) || !own.ok || !replaced.ok;

    const skip = !parentKnown || (parent?.skip ?? false) || this.duplicates.has(decl);
    const model: ResolvedModel = { decl, parent, bindings, stack, broken, skip };
    this.resolving.pop();
    this.resolved.set(decl, model);
    return model;
  }

  private checkModel(model: ResolvedModel): ModelIR | undefined {
    const { decl } = model;
    if (model.skip) return undefined;
    this.checkedBlocks.add(decl);
    const ownTrain = this.duplicates.has(decl) ? undefined : this.trains.get(decl.name.name);
    this.reporter.checking({ name: decl.name.name, own: ownTrain ? [decl.span, ownTrain.decl.span] : [decl.span] });
    try {
      return this.checkResolved(model);
    } finally {
      this.reporter.checking(undefined);
    }
  }

  private checkResolved(model: ResolvedModel): ModelIR | undefined {
    const { decl } = model;
    const reporter = this.reporter;
    const before = reporter.errorsSoFar;
    const scope = new Scope(model.bindings, MODEL_DEFAULTS, decl.name.span, reporter, this.usedLets);
    for (const name of model.bindings.keys()) scope.value(name);

    const r = new Reader(`model '${decl.name.name}'`, (name) => scope.field(name), { code: "MOT022", span: decl.name.span }, scope);
    const positive = { positive: true };
    const vocab = r.int("vocab", undefined, positive);
    const context = r.int("context", undefined, positive);
    const dModel = r.int("d_model", undefined, positive);
    // The default d_ff = 4 · d_model is only judged when d_model itself is right.
    const dFF = model.bindings.has("d_ff") || dModel !== undefined ? r.int("d_ff", undefined, positive) : undefined;
    const norm = r.choice("norm", ["layernorm", "rmsnorm"] as const);
    const normEps = r.number("norm_eps", undefined, positive);
    const dropout = r.number("dropout", undefined, { between: { min: 0, max: 1, maxExclusive: true } });
    const init = readInit(r, "init", scope, DEFAULT_INIT);

    const layers = model.stack && this.checkStack(model, scope, dModel, dFF, init);
    // The recipe is checked even when the model is wrong, so that all errors show at once.
    const chain = this.trainChain(model);
    for (const block of chain) this.checkedBlocks.add(block.decl);
    const recipe = chain.length > 0 ? checkRecipe(chain, scope, context, reporter, this.usedLets) : undefined;

    if (reporter.errorsSoFar > before || model.broken || !layers || chain.some((block) => !block.ok)) return undefined;
    if (vocab === undefined || context === undefined || dModel === undefined || dFF === undefined) return undefined;
    if (!norm || normEps === undefined || dropout === undefined || !init || (chain.length > 0 && !recipe)) return undefined;
    if (recipe?.temp) warnNothingToAnneal(decl.name.name, chain, layers.sublayers, reporter);

    const ir: ModelIR = {
      name: decl.name.name,
      ...(decl.parent ? { parent: decl.parent.name } : {}),
      vocab, context, dModel, dFF, norm, normEps, dropout, init,
      position: layers.position,
      sublayers: layers.sublayers,
      tiedHead: layers.tied,
      ...(recipe ? { recipe } : {}),
    };
    const owners = { model: decl.name.span, embed: layers.embed.name.span, head: layers.head.name.span, sublayers: layers.calls };
    return checkParameterSizes(ir, owners, reporter) ? ir : undefined;
  }

  /** Placement, repeat counts, size, every layer call once, then the expansion. */
  private checkStack(model: ResolvedModel, scope: Scope, dModel?: number, dFF?: number, init?: InitScheme) {
    const { decl } = model;
    const stack = model.stack!;
    const reporter = this.reporter;
    const placed = checkPlacement(stack, decl.name.name, decl.name.span, reporter);

    const counts = new Map<Repeat, number | undefined>();
    const countOf = (repeat: Repeat) => {
      if (!counts.has(repeat)) {
        const field = { value: evaluate(repeat.count, scope), span: repeat.count.span };
        const r = new Reader("repeat", () => field, { code: "MOT023", span: repeat.span }, scope);
        counts.set(repeat, r.int("repeat count", undefined, { positive: true }));
      }
      return counts.get(repeat);
    };
    const size = expandedSize(stack, countOf, reporter);
    if (size !== undefined && size > MAX_SUBLAYERS) {
      reporter.report("MOT038", ["the expanded layer stack", `${size} layers`, `${MAX_SUBLAYERS}`], decl.name.span);
    }

    const context: LayerContext = {
      lookup: (name) => scope.lookup(name),
      reportUnknown: (name, span) => scope.reportUnknown(name, span),
      reporter,
      dModel,
      dFF,
      init,
    };
    const results = new Map<LayerCall, LayerResult>();
    let layersOk = true;
    for (const call of layerCalls(stack)) {
      const result = checkLayer(call, context);
      if (result) results.set(call, result);
      else layersOk = false;
    }
    if (!placed || size === undefined || size > MAX_SUBLAYERS || !layersOk) return undefined;

    const embed = (stack[0] as Extract<StackNode, { kind: "layer" }>).call;
    const head = (stack[stack.length - 1] as Extract<StackNode, { kind: "layer" }>).call;
    const embedResult = results.get(embed) as Extract<LayerResult, { kind: "embed" }>;
    const headResult = results.get(head) as Extract<LayerResult, { kind: "head" }>;
    const { sublayers, calls } = expand(stack, results, countOf);
    return { sublayers, calls, embed, head, position: embedResult.position, tied: headResult.tied };
  }

  /** The `train` blocks a model's recipe is made of: its ancestors' first, its own last. */
  private trainChain(model: ResolvedModel): (TrainBlock & { ok: boolean })[] {
    const chain = model.parent ? this.trainChain(model.parent) : [];
    const own = this.trains.get(model.decl.name.name);
    // A duplicate declaration has no recipe of its own (the train block belongs to the first).
    return own && !this.duplicates.has(model.decl) ? [...chain, own] : chain;
  }

  private reportUnusedLets(): void {
    for (const decl of this.spec.decls) {
      if (!this.checkedBlocks.has(decl)) continue;
      for (const statement of decl.body) {
        if (statement.kind === "let" && !this.usedLets.has(statement)) {
          this.reporter.report("MOT100", [statement.name.name], statement.name.span, "remove it, or use it in an expression");
        }
      }
    }
  }
}

/** MOT101 when the model's own train block sets `temp = anneal` but no mot layer learns its temperature (inherited settings stay silent). */
function warnNothingToAnneal(name: string, chain: readonly TrainBlock[], sublayers: readonly Sublayer[], reporter: Reporter): void {
  const own = chain[chain.length - 1];
  const binding = own?.decl.name.name === name ? own.bindings.get("temp") : undefined;
  if (!binding || sublayers.some((layer) => layer.kind === "mot" && layer.temp.kind === "learnable")) return;
  reporter.report("MOT101", [name], binding.expr.span);
}
