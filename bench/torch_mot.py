#!/usr/bin/python3
"""PyTorch eager reference of a motc model (SEMANTICS.md), for bench/inference.

Reads the model IR (model.json, written by the bench) and a motc checkpoint
(checkpoint.json + weights.bin: raw little-endian float32), times the forward
pass on random ids, and writes the logits of a check batch so the bench can
compare them with onnxruntime's. Prints one JSON line on stdout.

Run with Debian's python (python3-torch): /usr/bin/python3 bench/torch_mot.py DIR ...
PyTorch must use OpenBLAS, not the reference BLAS: the JSON reports the BLAS
library mapped into this process after the first matrix product.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_weights(directory):
    with open(os.path.join(directory, "checkpoint.json")) as f:
        manifest = json.load(f)
    raw = np.fromfile(os.path.join(directory, "weights.bin"), dtype="<f4")
    weights = {}
    for p in manifest["params"]:
        start = p["offset"] // 4
        count = p["length"] // 4
        weights[p["name"]] = torch.from_numpy(raw[start:start + count].copy()).reshape(p["shape"])
    return weights


class MixtureOfTokensModel(torch.nn.Module):
    """Embedding, residual sublayers (attention / ff / mot), head — eager ops only."""

    def __init__(self, ir, weights, skip_mot=False):
        super().__init__()
        self.ir = ir
        self.w = weights
        self.skip_mot = skip_mot

    def norm(self, x, prefix):
        eps = self.ir["normEps"]
        if self.ir["norm"] == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), self.w[prefix + ".scale"], self.w[prefix + ".bias"], eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.w[prefix + ".scale"]

    def act(self, x, kind):
        return F.relu(x) if kind == "relu" else F.gelu(x)  # gelu: exact erf form

    def embed(self, ids):
        x = self.w["embed.token"][ids]
        t = ids.shape[1]
        d = self.ir["dModel"]
        if self.ir["position"] == "learned":
            x = x + self.w["embed.position"][:t]
        elif self.ir["position"] == "sinusoidal":
            pos = torch.arange(t, dtype=torch.float32)[:, None]
            i = torch.arange(0, d, 2, dtype=torch.float32)
            angle = pos / torch.pow(10000.0, i / d)
            table = torch.zeros(t, d)
            table[:, 0::2] = torch.sin(angle)
            table[:, 1::2] = torch.cos(angle)
            x = x + table
        return x

    def attention(self, h, layer, prefix):
        b, t, d = h.shape
        heads, dh = layer["heads"], layer["headDim"]
        bias = layer["bias"]
        proj = lambda name: h @ self.w[f"{prefix}.attn.w{name}"] + (self.w[f"{prefix}.attn.b{name}"] if bias else 0)
        split = lambda x: x.view(b, t, heads, dh).transpose(1, 2)
        q, k, v = split(proj("q")), split(proj("k")), split(proj("v"))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        if layer["causal"]:
            mask = torch.ones(t, t, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        y = y @ self.w[f"{prefix}.attn.wo"]
        return y + self.w[f"{prefix}.attn.bo"] if bias else y

    def ff(self, h, layer, prefix):
        hidden = self.act(h @ self.w[f"{prefix}.ff.w1"] + self.w[f"{prefix}.ff.b1"], layer["activation"])
        return hidden @ self.w[f"{prefix}.ff.w2"] + self.w[f"{prefix}.ff.b2"]

    def mot(self, h, layer, prefix):
        """SEMANTICS.md "mot": groups of G batch rows at one position, padded rows get zero weight."""
        b, t, d = h.shape
        g, e = layer["group"], layer["experts"]
        temp = layer["temp"]
        tau = math.exp(float(self.w[f"{prefix}.mot.log_temp"])) if temp["kind"] == "learnable" else temp["value"]
        k = -(-b // g)
        pad = k * g - b
        logits = (h @ self.w[f"{prefix}.mot.controller"]) / tau  # [B, T, E]
        if pad:
            h = torch.cat([h, h.new_zeros(pad, t, d)])
            logits = torch.cat([logits, logits.new_full((pad, t, e), float("-inf"))])
        weights = logits.view(k, g, t, e).softmax(1)  # over the group's rows
        tokens = h.view(k, g, t, d)
        mixed = torch.einsum("kgte,kgtd->ketd", weights, tokens)  # [k, E, T, d]
        per_expert = mixed.transpose(0, 1).reshape(e, k * t, d)  # [E, N, d]
        hidden = self.act(torch.bmm(per_expert, self.w[f"{prefix}.mot.w1"]), layer["activation"])
        y = torch.bmm(hidden, self.w[f"{prefix}.mot.w2"]).view(e, k, t, d).transpose(0, 1)  # [k, E, T, d]
        out = torch.einsum("kgte,ketd->kgtd", weights, y).reshape(k * g, t, d)
        return out[:b]

    def forward(self, ids):
        x = self.embed(ids)
        for layer in self.ir["sublayers"]:
            if layer["kind"] == "mot" and self.skip_mot:
                continue
            prefix = f"layers.{layer['index']}"
            h = self.norm(x, prefix + ".norm")
            x = x + getattr(self, "ff" if layer["kind"] == "ff" else layer["kind"])(h, layer, prefix)
        x = self.norm(x, "head.norm")
        unembed = self.w["embed.token"].t() if self.ir["tiedHead"] else self.w["head.unembed"]
        return x @ unembed


def blas_libraries():
    with open("/proc/self/maps") as f:
        names = {line.split()[-1] for line in f if "blas" in line.lower()}
    return sorted(os.path.basename(n) for n in names)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", help="model.json + checkpoint.json + weights.bin")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs at least (best is kept)")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="keep timing until this much time has passed")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--check-ids", help="JSON file of a batch of ids; their logits go to CHECK.logits.bin")
    parser.add_argument("--mot-share", action="store_true",
                        help="also time the model with every mot sublayer replaced by identity (runs alternate)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    with open(os.path.join(args.directory, "model.json")) as f:
        ir = json.load(f)
    weights = load_weights(args.directory)
    model = MixtureOfTokensModel(ir, weights)
    variants = {"seconds": model}
    if args.mot_share:
        variants["seconds_without_mot"] = MixtureOfTokensModel(ir, weights, skip_mot=True)
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
            for key, variant in variants.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                variant(ids)
                times[key].append(time.perf_counter() - started)
                cpu_times[key].append(time.process_time() - cpu_started)
    result["blas"] = blas_libraries()
    result["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY", "")
    result["openblas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS", "")
    result["runs"] = len(times["seconds"])
    for key, values in times.items():
        result[key] = min(values)
        result["cpu_" + key] = min(cpu_times[key])  # CPU seconds of all threads (user + system)
    result["tokens_per_second"] = args.batch * args.length / result["seconds"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
