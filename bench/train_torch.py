#!/usr/bin/python3
"""PyTorch twin of `motc train`'s step, for bench/train.ts.

The same model (SEMANTICS.md, from the model IR the bench writes) and the same
recipe: mean next-token cross-entropy, clip_grad_norm_, torch.optim.AdamW with
decay on matrices only. Times training steps on random ids and prints one JSON
line: {"blas": ..., "matmul_gflops": ..., "threads": n, "results": [{model, step_ms, cpu_ms, tokens_per_s}]}.

Run with Debian's python and OpenBLAS (the reference BLAS runs ~7 GFLOP/s):
  LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 \
    /usr/bin/python3 bench/train_torch.py CONFIG.json
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def act(x, kind):
    return F.relu(x) if kind == "relu" else F.gelu(x)  # gelu: exact erf form


class Model(torch.nn.Module):
    """Embedding, residual sublayers (attention / ff / mot), head: SEMANTICS.md."""

    def __init__(self, ir, seed):
        super().__init__()
        self.ir = ir
        torch.manual_seed(seed)
        d = ir["dModel"]
        self.p = torch.nn.ParameterDict()
        self.decay = set()

        def add(name, shape, std=None, fill=None, decay=False):
            t = torch.empty(shape)
            if std is not None:
                torch.nn.init.normal_(t, 0.0, std)
            else:
                t.fill_(fill)
            key = name.replace(".", "_")
            self.p[key] = torch.nn.Parameter(t)
            if decay:
                self.decay.add(key)

        def norm(prefix):
            add(prefix + ".scale", [d], fill=1.0)
            if ir["norm"] == "layernorm":
                add(prefix + ".bias", [d], fill=0.0)

        add("embed.token", [ir["vocab"], d], std=0.02, decay=True)
        if ir["position"] == "learned":
            add("embed.position", [ir["context"], d], std=0.02, decay=True)
        out_std = 0.02 / math.sqrt(max(1, len(ir["sublayers"])))
        for layer in ir["sublayers"]:
            pre = "layers.%d." % layer["index"]
            norm(pre + "norm")
            if layer["kind"] == "attention":
                for w in ("wq", "wk", "wv"):
                    add(pre + "attn." + w, [d, d], std=0.02, decay=True)
                add(pre + "attn.wo", [d, d], std=out_std, decay=True)
            elif layer["kind"] == "ff":
                s = layer["size"]
                add(pre + "ff.w1", [d, s], std=0.02, decay=True)
                add(pre + "ff.b1", [s], fill=0.0)
                add(pre + "ff.w2", [s, d], std=out_std, decay=True)
                add(pre + "ff.b2", [d], fill=0.0)
            elif layer["kind"] == "mot":
                e, f = layer["experts"], layer["expertSize"]
                add(pre + "mot.controller", [d, e], std=0.02, decay=True)
                add(pre + "mot.w1", [e, d, f], std=0.02, decay=True)
                add(pre + "mot.w2", [e, f, d], std=out_std, decay=True)
                if layer["temp"]["kind"] == "learnable":
                    add(pre + "mot.log_temp", [], fill=math.log(layer["temp"]["init"]))
            else:
                raise SystemExit("train_torch.py: layer kind %s is not supported" % layer["kind"])
        norm("head.norm")
        if not ir["tiedHead"]:
            add("head.unembed", [d, ir["vocab"]], std=0.02, decay=True)

    def w(self, name):
        return self.p[name.replace(".", "_")]

    def norm(self, x, prefix):
        eps = self.ir["normEps"]
        if self.ir["norm"] == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), self.w(prefix + ".scale"), self.w(prefix + ".bias"), eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.w(prefix + ".scale")

    def attention(self, h, layer, pre):
        b, t, d = h.shape
        heads = layer["heads"]
        dh = d // heads
        q, k, v = (
            (h @ self.w(pre + "attn." + n)).view(b, t, heads, dh).transpose(1, 2) for n in ("wq", "wk", "wv")
        )
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        if layer["causal"]:
            mask = torch.ones(t, t, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        return y @ self.w(pre + "attn.wo")

    def mot(self, h, layer, pre):
        """Groups of G batch rows at one position; softmax over the group, per expert."""
        b, t, d = h.shape
        g = layer["group"]
        pad = (-b) % g
        temp = layer["temp"]
        tau = self.w(pre + "mot.log_temp").exp() if temp["kind"] == "learnable" else temp["value"]
        logits = (h @ self.w(pre + "mot.controller")) / tau
        if pad:  # padded rows get zero weight (SEMANTICS.md, leftover groups)
            h = torch.cat([h, h.new_zeros(pad, t, d)])
            logits = torch.cat([logits, logits.new_full((pad, t, logits.shape[-1]), float("-inf"))])
        k = (b + pad) // g
        hg = h.view(k, g, t, d)
        weights = logits.view(k, g, t, -1).softmax(1)  # [K, G, T, E]
        mixed = torch.einsum("kgte,kgtd->kted", weights, hg)
        y = act(torch.einsum("kted,edf->ktef", mixed, self.w(pre + "mot.w1")), layer["activation"])
        y = torch.einsum("ktef,efd->kted", y, self.w(pre + "mot.w2"))
        out = torch.einsum("kgte,kted->kgtd", weights, y).reshape(b + pad, t, d)
        return out[:b]

    def forward(self, ids):
        t = ids.shape[1]
        x = self.w("embed.token")[ids]
        if self.ir["position"] == "learned":
            x = x + self.w("embed.position")[:t]
        for layer in self.ir["sublayers"]:
            pre = "layers.%d." % layer["index"]
            h = self.norm(x, pre + "norm")
            if layer["kind"] == "attention":
                x = x + self.attention(h, layer, pre)
            elif layer["kind"] == "ff":
                a = act(h @ self.w(pre + "ff.w1") + self.w(pre + "ff.b1"), layer["activation"])
                x = x + a @ self.w(pre + "ff.w2") + self.w(pre + "ff.b2")
            else:
                x = x + self.mot(h, layer, pre)
        x = self.norm(x, "head.norm")
        unembed = self.w("embed.token").t() if self.ir["tiedHead"] else self.w("head.unembed")
        return x @ unembed


def blas_library():
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1] for line in maps if "blas" in line.lower()}
    return ", ".join(sorted(names)) or "unknown"


def matmul_gflops(n=512, repeats=20):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def adamw(model, recipe, lr):
    """torch.optim.AdamW with motc's decoupled decay on matrices only (model.decay)."""
    opt = recipe["optimizer"]
    groups = [
        {"params": [p for n, p in model.p.items() if n in model.decay], "weight_decay": opt["weightDecay"]},
        {"params": [p for n, p in model.p.items() if n not in model.decay], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"])


def train_step(model, optimizer, ids, vocab, clip):
    """One step on rows of context + 1 tokens: next-token cross-entropy, clip, update. Returns the loss."""
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, vocab), ids[:, 1:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def time_training(ir, recipe, warmup_steps, timed_steps):
    model = Model(ir, recipe["seed"])
    optimizer = adamw(model, recipe, recipe["lr"])
    batch, context = recipe["batch"], recipe["context"]
    generator = torch.Generator().manual_seed(0)
    times = []
    cpu_times = []
    losses = []
    for step in range(warmup_steps + timed_steps):
        ids = torch.randint(0, ir["vocab"], (batch, context + 1), generator=generator)
        start = time.perf_counter()
        cpu_start = time.process_time()
        losses.append(train_step(model, optimizer, ids, ir["vocab"], recipe["clip"]))
        if step >= warmup_steps:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    step_s = statistics.median(times)
    # CPU time of all threads: on a shared machine wall time swings with the load, CPU time less.
    return {"model": ir["name"], "step_ms": step_s * 1000, "cpu_ms": statistics.median(cpu_times) * 1000,
            "tokens_per_s": batch * context / step_s, "first_loss": losses[0]}


def load_checkpoint(model, directory):
    """Copies a motc checkpoint's tensors (checkpoint.json + weights.bin) into the model."""
    with open(directory + "/checkpoint.json") as f:
        manifest = json.load(f)
    raw = open(directory + "/weights.bin", "rb").read()
    with torch.no_grad():
        for p in manifest["params"]:
            values = torch.frombuffer(bytearray(raw[p["offset"]:p["offset"] + p["length"]]), dtype=torch.float32)
            model.w(p["name"]).copy_(values.reshape(p["shape"]))


def parity_losses(ir, recipe, directory, batches_path, lrs):
    """Trains from the checkpoint in `directory` on the given batches and learning rates; returns the losses."""
    model = Model(ir, recipe["seed"])
    load_checkpoint(model, directory)
    optimizer = adamw(model, recipe, lrs[0])
    batch, context = recipe["batch"], recipe["context"]
    data = torch.frombuffer(bytearray(open(batches_path, "rb").read()), dtype=torch.int32).long()
    data = data.reshape(len(lrs), batch, context + 1)
    losses = []
    for step, lr in enumerate(lrs):
        for group in optimizer.param_groups:
            group["lr"] = lr
        ids = data[step]
        losses.append(train_step(model, optimizer, ids, ir["vocab"], recipe["clip"]))
    return losses


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    torch.set_num_threads(config["threads"])
    if "parity" in config:
        job = config["parity"]
        print(json.dumps({"losses": parity_losses(config["models"][0], config["recipe"], job["checkpoint"], job["batches"], job["lrs"])}))
        return
    gflops = matmul_gflops()
    results = [time_training(ir, config["recipe"], config["warmup"], config["steps"]) for ir in config["models"]]
    print(json.dumps({"blas": blas_library(), "matmul_gflops": gflops, "threads": torch.get_num_threads(), "torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
