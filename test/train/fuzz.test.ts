// Property test (issue 11): checkpoint.json torn, bit-flipped or mutated as JSON
// never crashes a reader. Seeded cases run in-process through what compile
// --weights and transition read (readCheckpoint with its checks, then the
// transition itself) and what train --resume reads (readTrainingCheckpoint):
// each is read whole or refused with a UserError of one line. A sample goes
// through the real CLI: every case exits 0 or 1, a failure is one coded line,
// never exit 70 or a stack trace.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { UserError, formatUserError } from "../../src/base/errors.js";
import { loadModel } from "../../src/cli/spec.js";
import { Random } from "../../src/ir/random.js";
import { transitionModel } from "../../src/ir/transition.js";
import { MANIFEST, checkpointDirectory, readCheckpoint } from "../../src/train/checkpoint.js";
import { readTrainingCheckpoint } from "../../src/train/resume.js";
import { repoRoot, runMotc } from "../support/cli.js";

/** In-process cases (MOTC_FUZZ_CASES=20000 for a deeper run by hand). */
const CASES = Number(process.env.MOTC_FUZZ_CASES ?? 600);
/** Cases of each command through the CLI (a process each: a second or so). */
const CLI_CASES = 3;
const spec = join(repoRoot, "test/fixtures/train/small.mot");
const model = loadModel(spec);
const backend = process.env.MOTC_TEST_BACKEND ?? "wasm";
const scratch = mkdtempSync(join(tmpdir(), "motc-checkpoint-fuzz-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const data = join(scratch, "data.txt");
writeFileSync(data, "It was the best of times, it was the worst of times. ".repeat(300));

const odd: unknown[] = [null, -1, -8, 0, 1.5, 12.5, 1e9, 2 ** 53, 1e308, "x", "", "a\nb", "\u001b[2J", true, [], [0], [-1, 2], {}, { kind: "cosine" }, "0".repeat(64)];

/** Every path into a JSON value: [] for the root, then keys and indices. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const inner = Array.isArray(value)
    ? value.flatMap((item, i) => paths(item, [...at, i]))
    : value && typeof value === "object" ? Object.entries(value).flatMap(([key, item]) => paths(item, [...at, key])) : [];
  return [at, ...inner];
}

/** checkpoint.json's text, broken one of three ways. */
function mutate(text: string, random: Random): string {
  switch (random.int(3)) {
    case 0: return text.slice(0, random.int(text.length));
    case 1: {
      const bytes = Buffer.from(text);
      for (let n = 1 + random.int(4); n > 0; n--) bytes[random.int(bytes.length)] ^= 1 << random.int(8);
      return bytes.toString("latin1");
    }
    default: {
      const json = JSON.parse(text) as Record<string, unknown>;
      for (let n = 1 + random.int(3); n > 0; n--) {
        const all = paths(json).filter((p) => p.length > 0);
        const path = all[random.int(all.length)];
        const parent = path.slice(0, -1).reduce((o: Record<string | number, unknown>, key) => o[key] as Record<string | number, unknown>, json);
        const key = path[path.length - 1];
        if (random.int(4) === 0 && !Array.isArray(parent)) delete parent[key];
        else parent[key] = odd[random.int(odd.length)];
      }
      return JSON.stringify(json, null, 2);
    }
  }
}

/** A UserError renders as one line; anything else thrown is a crash. */
function oneLine(read: () => void, what: string): "read" | "refused" {
  try {
    read();
    return "read";
  } catch (error) {
    if (!(error instanceof UserError)) throw new Error(`${what}: not a UserError: ${(error as Error).stack}`);
    assert.doesNotMatch(formatUserError(error), /\n/, what);
    return "refused";
  }
}

let run: string;

test("a trained run to break", () => {
  run = join(scratch, "run");
  const trained = runMotc(["train", spec, "--backend", backend, "--data", data, "--steps", "4", "--checkpoint-every", "4", "--out", run], { timeoutMs: 120_000 });
  assert.equal(trained.code, 0, trained.stderr);
});

test(`${CASES} broken manifests: each is read whole or refused in one line, by every reader`, () => {
  const original = readFileSync(join(checkpointDirectory(run), MANIFEST), "utf8");
  const random = new Random(11, "checkpoint-fuzz");
  const broken = join(scratch, "broken");
  cpSync(run, broken, { recursive: true });
  const manifest = join(checkpointDirectory(broken), MANIFEST);
  const outcomes = { read: 0, refused: 0 };
  for (let i = 0; i < CASES; i++) {
    const text = mutate(original, random);
    writeFileSync(manifest, text, "latin1");
    const what = `case ${i}: ${text.slice(0, 200)}`;
    outcomes[oneLine(() => transitionModel(model, readCheckpoint(broken, model, { verify: true }).weights, {}), what)]++;
    outcomes[oneLine(() => readTrainingCheckpoint(broken, model), what)]++;
  }
  console.log(`checkpoint fuzz: ${CASES} cases × 2 readers: ${outcomes.read} read, ${outcomes.refused} refused`);
  assert.ok(outcomes.refused > CASES, "most broken manifests are refused");
  assert.ok(outcomes.read > 0, "some mutations leave a readable checkpoint (e.g. an edited step)");
});

test("through the CLI: compile --weights, transition and train --resume exit 0 or 1, a failure in one coded line", () => {
  const original = readFileSync(join(checkpointDirectory(run), MANIFEST), "utf8");
  const random = new Random(12, "checkpoint-fuzz-cli");
  const commands: Array<[string, (dir: string, out: string) => string[]]> = [
    ["compile", (dir, out) => ["compile", spec, "--weights", dir, "--out", out]],
    ["transition", (dir, out) => ["transition", spec, "--weights", dir, "--out", out]],
    ["train --resume", (dir) => ["train", spec, "--backend", backend, "--data", data, "--steps", "4", "--out", dir, "--resume"]],
  ];
  for (const [name, args] of commands) {
    for (let i = 0; i < CLI_CASES; i++) {
      const dir = join(scratch, `cli-${name.replace(/\W+/g, "-")}-${i}`);
      cpSync(run, dir, { recursive: true });
      const text = mutate(original, random);
      writeFileSync(join(checkpointDirectory(dir), MANIFEST), text, "latin1");
      const result = runMotc(args(dir, join(dir, "out")), { timeoutMs: 120_000 });
      const what = `${name} case ${i}: exit ${result.code}\n${result.stderr}\n--- checkpoint.json ---\n${text.slice(0, 400)}`;
      assert.ok(result.code === 0 || result.code === 1, what);
      assert.doesNotMatch(result.stderr, /^\s+at |internal error|MOT900/m, what);
      if (result.code === 1) assert.match(result.stderr, /^(note: [^\n]*\n)*motc: error MOT\d{3}: [^\n]+\n$/, what);
    }
  }
});
