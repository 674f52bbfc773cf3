#!/usr/bin/env python3
"""The GPU check of motc's PyTorch engine, for a machine with an NVIDIA GPU and
PyTorch but no Node. bench/device/prepare.ts writes what it needs beforehand
(bench/device/programs/: the programs of tiny, tiny_dense, mot_paper and
dense_paper, motc's FLOPs per token for each, tiny's float64 reference logits).

For each model, in fp32 and in bf16 (autocast):
  - training throughput: the engine's own update() (train.py) on random ids at
    the recipe's batch, tokens/s, and model FLOP utilisation: motc's forward
    FLOPs per token x 3 (forward and backward) x tokens/s, against the GPU's
    datasheet peak and against the peak of a large matmul measured here;
  - logits parity: tiny against the float64 reference (its shipped initial
    weights), the paper models against this machine's CPU (weights drawn by
    torch here: 330 MB of motc's do not travel), at batches with a leftover group;
then train.py itself on CUDA (fp32 and bf16) for a few steps, and model.py's
command line on its run directory. Prints a table; writes OUT/device.json.

    python3 bench/device/run.py --programs bench/device/programs --out OUT

--dry-run goes through every stage on the CPU, fp32 only, tiny only, two steps:
a check of the script itself where there is no GPU.
"""
import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from torch_programs import load_program  # noqa: E402  (bench/torch_programs.py)

# Dense datasheet peaks (FLOP/s): fp32 without tensor cores, bf16 with them.
DATASHEET = {"H200": (67e12, 989e12), "H100": (67e12, 989e12), "A100": (19.5e12, 312e12), "L40S": (91.6e12, 362e12)}


def weights(train, program, entry):
    """motc's initial weights where they were shipped, else torch's draw of the same distributions."""
    if entry["weights"] == "initial":
        return train.read_checkpoint(os.path.join(program, "initial"))[2]
    torch.manual_seed(0)
    return {name: value.clone() for name, value in train.Model(train.Config()).state_dict().items()}


DEVICE = "cuda"  # "cpu" with --dry-run
DTYPES = ("fp32", "bf16")


def autocast(dtype):
    return torch.autocast("cuda", dtype=torch.bfloat16) if dtype == "bf16" else contextlib.nullcontext()


def synchronize():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def measured_peak(dtype, n=8192, repeats=20):
    if DEVICE == "cpu":
        n, repeats = 1024, 3
    a = torch.randn(n, n, device=DEVICE, dtype=torch.bfloat16 if dtype == "bf16" else torch.float32)
    b = torch.randn_like(a)
    a @ b
    synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize()
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def throughput(train, state, entry, dtype, batch, warmup, steps):
    world = train.World(DEVICE)
    recipe = dict(train.RECIPE, batch=batch)
    model, optimizer = train.build(world, state, recipe, False)
    if DEVICE == "cuda":
        torch.cuda.reset_peak_memory_stats()
    generator = torch.Generator(device=DEVICE).manual_seed(0)
    times, losses = [], []
    for step in range(1, warmup + steps + 1):
        ids = torch.randint(0, entry["vocab"], (batch, entry["context"] + 1), device=DEVICE, generator=generator)
        synchronize()
        start = time.perf_counter()
        loss, _, _ = train.update(model, optimizer, [(ids[:, :-1], ids[:, 1:])], recipe, step, world, autocast(dtype), False)
        synchronize()
        losses.append(loss)
        if step > warmup:
            times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    tokens_per_s = batch * entry["context"] / step_s
    peak = torch.cuda.max_memory_allocated() if DEVICE == "cuda" else train.peak_memory(torch.device("cpu"))
    result = {"batch": batch, "step_ms": step_s * 1000, "tokens_per_s": tokens_per_s, "train_flops_per_s": 3 * entry["flopsPerToken"] * tokens_per_s,
              "peak_memory_gib": peak / 2 ** 30, "first_loss": losses[0], "finite": all(map(np.isfinite, losses))}
    del model, optimizer
    if DEVICE == "cuda":
        torch.cuda.empty_cache()
    return result


def logits(train, state, ids, device, dtype):
    model = train.Model(train.Config())
    model.load_state_dict(state)
    model.to(device).eval()
    with torch.no_grad(), (autocast(dtype) if device == "cuda" else contextlib.nullcontext()):
        out = model(torch.tensor(ids, dtype=torch.long, device=device)).float().cpu()
    del model
    return out


def parity(train, state, entry, programs):
    """Max |difference| of the CUDA logits (fp32, bf16) from the float64 reference (tiny) or this machine's CPU."""
    if entry.get("reference"):
        with open(os.path.join(programs, entry["reference"]["ids"])) as f:
            ids = json.load(f)
        against = torch.from_numpy(np.load(os.path.join(programs, entry["reference"]["logits"])))
        label = "float64 reference"
    else:
        generator = torch.Generator().manual_seed(1)
        ids = torch.randint(0, entry["vocab"], (33, 16), generator=generator).tolist()  # groups of 32 leave one row over
        against = logits(train, state, ids, "cpu", "fp32")
        label = "CPU fp32"
    result = {"against": label, "batch": len(ids), "length": len(ids[0])}
    if entry.get("reference"):
        result["cpu_fp32"] = float((logits(train, state, ids, "cpu", "fp32") - against).abs().max())
    for dtype in DTYPES:
        result[f"cuda_{dtype}"] = float((logits(train, state, ids, DEVICE, dtype) - against).abs().max())
    return result


def train_py(program, programs, out, dtype):
    """train.py as motc runs it, on CUDA for 40 steps; then model.py on its run directory."""
    run = os.path.join(out, "runs", f"{os.path.basename(program)}-{dtype}")
    command = [sys.executable, os.path.join(program, "train.py"), "--data", os.path.join(programs, "bytes-data"), "--out", run,
               "--steps", "40", "--eval-every", "20", "--checkpoint-every", "20", "--device", DEVICE, "--dtype", dtype, "--progress", "json"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    train_losses = [r["loss"] for r in records if r["kind"] == "train"]
    done = next((r for r in records if r["kind"] == "done"), {})
    report = {"dtype": dtype, "exit": result.returncode, "seconds": time.perf_counter() - started, "first_loss": train_losses[0] if train_losses else None,
              "last_loss": train_losses[-1] if train_losses else None, "eval_loss": done.get("eval_loss"), "peak_memory": done.get("peak_memory"),
              "stderr": result.stderr.strip().splitlines()[-3:] if result.returncode else []}
    logits_out = os.path.join(out, f"logits-{dtype}.npy")
    model = subprocess.run([sys.executable, os.path.join(program, "model.py"), "--weights", run, "--ids", os.path.join(programs, "tiny.ids.json"),
                            "--out", logits_out, "--device", DEVICE], capture_output=True, text=True)
    report["model_py"] = {"exit": model.returncode, "shape": list(np.load(logits_out).shape) if model.returncode == 0 else model.stderr.strip()}
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs"))
    parser.add_argument("--out", default=os.environ.get("OUT", "device-out"))
    parser.add_argument("--steps", type=int, default=10, help="timed updates per model and dtype")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, help="rows per update (default: each recipe's batch)")
    parser.add_argument("--dry-run", action="store_true", help="the CPU, fp32, tiny only, two steps: a check of this script")
    args = parser.parse_args()
    global DEVICE, DTYPES
    if args.dry_run:
        DEVICE, DTYPES, args.steps, args.warmup = "cpu", ("fp32",), 2, 1
    elif not torch.cuda.is_available():
        sys.exit("run.py: error: PyTorch sees no CUDA device (--dry-run checks the script on the CPU)")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.programs, "config.json")) as f:
        config = json.load(f)
    name = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "CPU (dry run)"
    datasheet = next((peaks for key, peaks in DATASHEET.items() if key in name), None)
    report = {"gpu": name, "torch": torch.__version__, "cuda": torch.version.cuda, "motc": config["motc"],
              "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "peaks": {}, "models": [], "train_py": []}
    for dtype, index in (("fp32", 0), ("bf16", 1))[: len(DTYPES)]:
        report["peaks"][dtype] = {"measured": measured_peak(dtype), "datasheet": datasheet[index] if datasheet else None}
    for entry in config["models"]:
        if args.dry_run and entry["weights"] != "initial":
            continue
        program = os.path.join(args.programs, entry["program"])
        train = load_program(program, entry["name"])
        state = weights(train, program, entry)
        row = {"name": entry["name"], "params": entry["params"], "flops_per_token": entry["flopsPerToken"], "parity": parity(train, state, entry, args.programs)}
        for dtype in DTYPES:
            result = throughput(train, state, entry, dtype, args.batch or entry["recipeBatch"], args.warmup, args.steps)
            peaks = report["peaks"][dtype]
            result["mfu_measured_peak"] = result["train_flops_per_s"] / peaks["measured"]
            result["mfu_datasheet"] = result["train_flops_per_s"] / peaks["datasheet"] if peaks["datasheet"] else None
            row[dtype] = result
        report["models"].append(row)
        print(json.dumps(row), flush=True)
    tiny = os.path.join(args.programs, "tiny.torch")
    for dtype in DTYPES:
        report["train_py"].append(train_py(tiny, args.programs, args.out, dtype))
    with open(os.path.join(args.out, "device.json"), "w") as f:
        json.dump(report, f, indent=2)
    print_table(report)


def print_table(report):
    print(f"\n{report['gpu']}, torch {report['torch']} (CUDA {report['cuda']}), motc {report['motc']}; TF32 matmul {report['tf32_matmul']}")
    for dtype, peaks in report["peaks"].items():
        sheet = f", datasheet {peaks['datasheet'] / 1e12:.0f}" if peaks["datasheet"] else ""
        print(f"  {dtype} matmul peak measured {peaks['measured'] / 1e12:.1f} TFLOP/s{sheet}")
    print("\n| model | dtype | batch | ms/step | tokens/s | MFU (datasheet) | MFU (measured peak) | peak GiB | max |Δlogits| |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for row in report["models"]:
        for dtype in DTYPES:
            r, p = row[dtype], row["parity"]
            mfu = f"{100 * r['mfu_datasheet']:.1f}%" if r["mfu_datasheet"] else "-"
            print(f"| {row['name']} | {dtype} | {r['batch']} | {r['step_ms']:.1f} | {r['tokens_per_s']:.0f} | {mfu} | {100 * r['mfu_measured_peak']:.1f}% | "
                  f"{r['peak_memory_gib']:.2f} | {p[f'cuda_{dtype}']:.1e} vs {p['against']} |")
    by_name = {row["name"]: row for row in report["models"]}
    for mot, dense in (("tiny", "tiny_dense"), ("mot_paper", "dense_paper")):
        if mot in by_name and dense in by_name:
            for dtype in DTYPES:
                print(f"{mot}/{dense} step, {dtype}: {by_name[mot][dtype]['step_ms'] / by_name[dense][dtype]['step_ms']:.2f}x (the paper: 1.25x)")
    for run in report["train_py"]:
        print(f"train.py tiny {run['dtype']} on CUDA: exit {run['exit']}, loss {run['first_loss']} -> {run['last_loss']}, eval {run['eval_loss']}, "
              f"{run['seconds']:.0f} s; model.py on its run: {run['model_py']}")


if __name__ == "__main__":
    main()
