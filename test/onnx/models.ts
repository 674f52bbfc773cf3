// The models the ONNX tests run: every model of specs/*.mot and
// test/fixtures/**/*.mot that checks clean, as the checker produces them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { checkSpec } from "../../src/check/index.js";
import type { ModelIR } from "../../src/ir/model.js";
import { repoRoot } from "../support/cli.js";

export interface SpecModel {
  /** e.g. `specs/tiny.mot:tiny` */
  label: string;
  path: string;
  text: string;
  model: ModelIR;
}

export function specFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith(".mot")) files.push(path);
    }
  };
  walk(join(repoRoot, "specs"));
  walk(join(repoRoot, "test", "fixtures"));
  return files;
}

export function specModels(): SpecModel[] {
  const models: SpecModel[] = [];
  for (const path of specFiles()) {
    const text = readFileSync(path, "utf8");
    const result = checkSpec({ path, text });
    if (result.diagnostics.some((d) => d.severity === "error")) continue; // fixtures of errors
    for (const model of result.models) models.push({ label: `${relative(repoRoot, path)}:${model.name}`, path, text, model });
  }
  return models;
}

/** Models whose IR (everything but the name and recipe) equals an earlier one's are computed once. */
export function distinctModels(models: SpecModel[]): (SpecModel & { sameAs?: string })[] {
  const seen = new Map<string, string>();
  return models.map((entry) => {
    const { name: _name, parent: _parent, recipe: _recipe, ...shape } = entry.model;
    const key = JSON.stringify(shape);
    const sameAs = seen.get(key);
    if (sameAs === undefined) seen.set(key, entry.label);
    return { ...entry, sameAs };
  });
}
