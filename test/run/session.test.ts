// Execution providers: the preference list, the one-line fallback notice, and
// the provider that ran. This machine has no GPU and no CUDA provider library,
// so `cuda` and `webgpu` must fall back to `cpu`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import onnxProto from "onnx-proto";
import { UserError } from "../../src/base/errors.js";
import { readModelInfo } from "../../src/run/model-info.js";
import { LARGE_GRAPH_NODES, SLOW_GRAPH_NODES, openSession, parseProviders, sessionOptions, slowGraphNotice } from "../../src/run/session.js";
import { runMotc } from "../support/cli.js";
import { writeToyModel } from "./toy-model.js";

const model = writeToyModel();

test("parseProviders keeps the order, drops duplicates and rejects unknown names with a usage error", () => {
  assert.deepEqual(parseProviders("cuda, WebGPU,cpu,cuda"), ["cuda", "webgpu", "cpu"]);
  assert.throws(() => parseProviders("cuda,gpu"), (e: unknown) => e instanceof UserError && e.exitCode === 2 && /unknown execution provider 'gpu'/.test(e.message));
  assert.throws(() => parseProviders(" , "), (e: unknown) => e instanceof UserError && e.exitCode === 2);
});

test("cuda falls back to cpu with exactly one notice and reports cpu", async () => {
  const notices: string[] = [];
  const run = await openSession(model, { providers: ["cuda", "cpu"], notice: (line) => notices.push(line) });
  assert.equal(run.provider, "cpu");
  assert.equal(notices.length, 1);
  assert.match(notices[0], /^cuda unavailable \(.+\); using cpu$/);
  assert.deepEqual(run.fallbacks.map((f) => f.provider), ["cuda"]);
});

test("the default list tries cuda and webgpu, then says in one line what fell back", async () => {
  const notices: string[] = [];
  const run = await openSession(model, { notice: (line) => notices.push(line) });
  assert.equal(run.provider, "cpu");
  assert.equal(notices.length, 1);
  assert.match(notices[0], /^cuda unavailable \(.+\), webgpu unavailable \(.+\); using cpu$/);
});

test("cpu alone opens without any notice", async () => {
  const notices: string[] = [];
  const run = await openSession(model, { providers: ["cpu"], notice: (line) => notices.push(line) });
  assert.equal(run.provider, "cpu");
  assert.deepEqual(notices, []);
});

test("motc run --ep cuda,cpu: one notice line on stderr, no native log noise, provider cpu", () => {
  const result = runMotc(["run", model, "--ids", "[1,2,3]", "--ep", "cuda,cpu"]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stderr.trimEnd().split("\n"), ["motc: cuda unavailable (libonnxruntime_providers_cuda.so not found); using cpu"]);
  assert.match(result.stdout.split("\n")[0], /provider cpu$/);
});

test("motc run --ep with an unknown provider is a usage error (exit 2, one line)", () => {
  const result = runMotc(["run", model, "--ids", "[1]", "--ep", "cuda,tpu"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.deepEqual(result.stderr.trimEnd().split("\n"), ["motc: error MOT413: unknown execution provider 'tpu' in --ep (known: cuda, tensorrt, webgpu, dml, coreml, cpu)"]);
});

test("a deep graph is optimised less, and past 100,000 nodes not at all and announced as slow to open (issue 11, item 13)", () => {
  assert.equal(sessionOptions("cpu", 1, 0).graphOptimizationLevel, "all");
  assert.equal(sessionOptions("cpu", 1, LARGE_GRAPH_NODES).graphOptimizationLevel, "all");
  assert.equal(sessionOptions("cpu", 1, LARGE_GRAPH_NODES + 1).graphOptimizationLevel, "basic");
  assert.equal(sessionOptions("cpu", 1, SLOW_GRAPH_NODES).graphOptimizationLevel, "basic");
  assert.equal(sessionOptions("cpu", 1, SLOW_GRAPH_NODES + 1).graphOptimizationLevel, "disabled");
  assert.equal(slowGraphNotice("m.onnx", SLOW_GRAPH_NODES), undefined);
  assert.equal(slowGraphNotice("m.onnx", 220_012),
    "m.onnx has 220,012 nodes: onnxruntime takes minutes to prepare a graph this large (its setup grows faster than the node count)");
});

test("readModelInfo counts the graph's nodes without decoding them, as onnx-proto's full decode does", () => {
  for (const path of [model, writeToyModel({ kvCache: false, metadata: false })]) {
    const decoded = onnxProto.onnx.ModelProto.decode(readFileSync(path));
    assert.equal(readModelInfo(path).nodes, decoded.graph!.node!.length);
    assert.ok(decoded.graph!.node!.length > 5);
  }
});
