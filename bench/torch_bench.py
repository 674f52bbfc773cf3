#!/usr/bin/python3
"""PyTorch timings for the benches, on the one PyTorch reference of motc's model
(test/reference/torch_model.py). Prints one JSON line on stdout.

  forward DIR [--batch B --length T ...]   bench/inference.ts: eager forward passes of
      DIR/model.json with DIR's checkpoint on random ids; --check-ids writes the logits
      of a given batch so the bench can compare them with onnxruntime's.
  train CONFIG.json                        bench/train.ts: training steps (forward,
      backward, clip_grad_norm_, AdamW) of each {"model", "checkpoint"} in CONFIG's
      "models", with its "recipe", "warmup" and "steps", on "threads" threads; a model
      with a "program" (motc compile --target torch) is also stepped by the PyTorch
      engine's own update() from its train.py, the two taking turns step by step so
      that a busy machine slows both alike.

Run with Debian's python and OpenBLAS (the reference BLAS runs ~7 GFLOP/s):
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 /usr/bin/python3 bench/torch_bench.py ...
The JSON reports the BLAS libraries mapped into the process after its first product.
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "reference"))
from torch_programs import load_program  # noqa: E402  (bench/, the script's own folder)
from torch_model import Model, adamw, load_checkpoint, train_step  # noqa: E402


def blas_libraries():
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1] for line in maps if "blas" in line.lower()}
    return sorted(names)


def time_forward(args):
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.directory, "model.json")) as f:
        ir = json.load(f)
    weights = load_checkpoint(args.directory)
    model = Model(ir, weights)
    variants = {"seconds": model}
    if args.mot_share:
        variants["seconds_without_mot"] = Model(ir, weights, skip_mot=True)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    with torch.no_grad():
        if args.check_ids:
            with open(args.check_ids) as f:
                check = torch.tensor(json.load(f), dtype=torch.long)
            model(check).numpy().astype("<f4").tofile(args.check_ids + ".logits.bin")
        generator = torch.Generator().manual_seed(0)
        ids = torch.randint(0, ir["vocab"], (args.batch, args.length), generator=generator)
        times = {key: [] for key in variants}
        cpu_times = {key: [] for key in variants}
        for variant in variants.values():
            variant(ids)  # warm-up
        # Variants alternate, so a busy moment on a shared machine hits both alike.
        while len(times["seconds"]) < args.repeats or (sum(times["seconds"]) < args.min_seconds and len(times["seconds"]) < 100):
            for name, variant in variants.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                variant(ids)
                times[name].append(time.perf_counter() - started)
                cpu_times[name].append(time.process_time() - cpu_started)
    result["blas"] = [os.path.basename(name) for name in blas_libraries()]
    result["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY", "")
    result["openblas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS", "")
    result["runs"] = len(times["seconds"])
    for name, values in times.items():
        result[name] = min(values)
        result["cpu_" + name] = min(cpu_times[name])  # CPU seconds of all threads (user + system)
    result["tokens_per_second"] = args.batch * args.length / result["seconds"]
    return result


def matmul_gflops(n=512, repeats=20):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def reference_stepper(ir, checkpoint, recipe):
    """One training step of the PyTorch reference on given ids."""
    model = Model(ir, load_checkpoint(checkpoint))
    optimizer = adamw(model, recipe, recipe["lr"])
    return lambda step, ids: train_step(model, optimizer, ids, recipe["clip"])


def engine_stepper(program, name, recipe):
    """One update of the PyTorch engine: train.py's update() on its model, from initial/."""
    train = load_program(program, name)
    world = train.World("cpu")
    _, _, state = train.read_checkpoint(os.path.join(program, "initial"))
    model, optimizer = train.build(world, state, recipe, False)
    return lambda step, ids: train.update(model, optimizer, [(ids[:, :-1], ids[:, 1:])], recipe, step, world, contextlib.nullcontext(), False)


def time_train(config_path):
    with open(config_path) as f:
        config = json.load(f)
    torch.set_num_threads(config["threads"])
    gflops = matmul_gflops()
    recipe, warmup, steps = config["recipe"], config["warmup"], config["steps"]
    steppers = []
    for job in config["models"]:
        ir = job["model"]
        steppers.append(("reference", ir, reference_stepper(ir, job["checkpoint"], recipe)))
        if job.get("program"):
            steppers.append(("engine", ir, engine_stepper(job["program"], ir["name"], recipe)))
    generator = torch.Generator().manual_seed(0)
    times = {(kind, ir["name"]): ([], []) for kind, ir, _ in steppers}
    for step in range(1, warmup + steps + 1):
        for kind, ir, stepper in steppers:  # in turns: a busy moment slows every variant alike
            ids = torch.randint(0, ir["vocab"], (recipe["batch"], recipe["context"] + 1), generator=generator)
            start, cpu_start = time.perf_counter(), time.process_time()
            stepper(step, ids)
            if step > warmup:
                times[(kind, ir["name"])][0].append(time.perf_counter() - start)
                times[(kind, ir["name"])][1].append(time.process_time() - cpu_start)
    results = []
    for (kind, name), (wall, cpu) in times.items():
        step_s = statistics.median(wall)
        # CPU time of all threads: on a shared machine wall time swings with the load, CPU time less.
        results.append({"kind": kind, "model": name, "step_ms": step_s * 1000, "cpu_ms": statistics.median(cpu) * 1000,
                        "tokens_per_s": recipe["batch"] * recipe["context"] / step_s})
    return {"blas": ", ".join(blas_libraries()) or "unknown", "matmul_gflops": gflops, "threads": torch.get_num_threads(),
            "torch": torch.__version__, "results": results}


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    forward = commands.add_parser("forward", help="time eager forward passes")
    forward.add_argument("directory", help="model.json + checkpoint.json + weights.bin")
    forward.add_argument("--batch", type=int, default=32)
    forward.add_argument("--length", type=int, default=256)
    forward.add_argument("--repeats", type=int, default=2, help="timed runs at least (best is kept)")
    forward.add_argument("--min-seconds", type=float, default=1.0, help="keep timing until this much time has passed")
    forward.add_argument("--threads", type=int, default=os.cpu_count())
    forward.add_argument("--check-ids", help="JSON file of a batch of ids; their logits go to CHECK.logits.bin")
    forward.add_argument("--mot-share", action="store_true",
                         help="also time the model with every mot sublayer replaced by identity (runs alternate)")
    train = commands.add_parser("train", help="time training steps")
    train.add_argument("config")
    args = parser.parse_args()
    print(json.dumps(time_forward(args) if args.command == "forward" else time_train(args.config)))


if __name__ == "__main__":
    main()
