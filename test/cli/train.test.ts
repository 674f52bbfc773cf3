// motc train's flags over the spec's recipe.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../../src/base/errors.js";
import { effectiveRecipe } from "../../src/cli/train.js";
import { smallModel, smallRecipe } from "../train/fixture.js";

test("flags override the recipe key by key; the rest is the spec's", () => {
  const recipe = smallRecipe();
  const model = smallModel(recipe);
  assert.deepEqual(effectiveRecipe(model, {}), recipe);
  const overridden = effectiveRecipe(model, { steps: 100, batch: 4, lr: 0.5, seed: 7, evalEvery: 3, checkpointEvery: 9 });
  assert.deepEqual(overridden, { ...recipe, steps: 100, batch: 4, lr: 0.5, seed: 7, evalEvery: 3, checkpointEvery: 9 });
});

test("a model without a recipe needs --steps, --batch and --lr, and gets LANGUAGE.md's defaults", () => {
  const model = { ...smallModel(), recipe: undefined };
  assert.throws(() => effectiveRecipe(model, { steps: 10 }), (error: Error) =>
    error instanceof UserError && error.code === "MOT501" &&
    error.message === "model 'small' has no train recipe: add 'train small { ... }' to the spec, or pass --steps, --batch and --lr");
  assert.deepEqual(effectiveRecipe(model, { steps: 200, batch: 4, lr: 1e-3 }), {
    steps: 200, batch: 4, context: 16, lr: 1e-3, warmup: 2, schedule: { kind: "cosine", final: 0.1 },
    optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 }, clip: 1, seed: 0, evalEvery: 10, checkpointEvery: 10,
  });
});
