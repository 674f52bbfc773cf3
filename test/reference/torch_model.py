#!/usr/bin/python3
"""motc's model in PyTorch eager ops, written from SEMANTICS.md: the one PyTorch
reference of the tests (test/train/torch.test.ts) and the benches (bench/train.ts,
bench/inference.ts through bench/torch_bench.py).

It reads the model IR as JSON (what motc's checker produces) and a motc
checkpoint (checkpoint.json + weights.bin: raw little-endian float32), and
has the parity helpers: load a checkpoint, forward, AdamW with motc's decay,
one training step. Dropout is not modelled (the parity runs use none).

Run with Debian's python (python3-torch), not a pyenv one:
  /usr/bin/python3 test/reference/torch_model.py parity CONFIG.json
trains from CONFIG's checkpoint on its batches and learning rates and prints
{"losses": [...]}: CONFIG = {"model": IR, "recipe": Recipe, "threads": n,
"checkpoint": DIR, "batches": FILE, "lrs": [...]}; the batches file holds, per
step and row, context + 1 int32 token ids (test/reference/torch.ts writes it).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F


def load_checkpoint(directory):
    """A motc checkpoint's tensors by parameter name."""
    with open(os.path.join(directory, "checkpoint.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(directory, "weights.bin"), "rb") as f:
        raw = f.read()
    weights = {}
    for p in manifest["params"]:
        values = torch.frombuffer(bytearray(raw[p["offset"]:p["offset"] + p["length"]]), dtype=torch.float32)
        weights[p["name"]] = values.reshape(p["shape"])
    return weights


def act(x, kind):
    return F.relu(x) if kind == "relu" else F.gelu(x)  # gelu: the exact erf form


class Model(torch.nn.Module):
    """Embedding, pre-norm residual sublayers (attention / ff / mot), head."""

    def __init__(self, ir, weights, skip_mot=False):
        super().__init__()
        self.ir = ir
        self.skip_mot = skip_mot
        for layer in ir["sublayers"]:
            if layer["kind"] not in ("attention", "ff", "mot"):
                raise SystemExit("torch_model.py: layer kind %s is not modelled" % layer["kind"])
        self.p = torch.nn.ParameterDict({key(name): torch.nn.Parameter(value.clone()) for name, value in weights.items()})

    def w(self, name):
        return self.p[key(name)]

    def norm(self, x, prefix):
        eps = self.ir["normEps"]
        if self.ir["norm"] == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), self.w(prefix + ".scale"), self.w(prefix + ".bias"), eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.w(prefix + ".scale")

    def embed(self, ids):
        x = self.w("embed.token")[ids]
        t, d = ids.shape[1], self.ir["dModel"]
        if self.ir["position"] == "learned":
            x = x + self.w("embed.position")[:t]
        elif self.ir["position"] == "sinusoidal":
            pos = torch.arange(t, dtype=torch.float32)[:, None]
            angle = pos / torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float32) / d)
            table = torch.zeros(t, d)
            table[:, 0::2] = torch.sin(angle)
            table[:, 1::2] = torch.cos(angle)
            x = x + table
        return x

    def attention(self, h, layer, prefix):
        b, t, d = h.shape
        heads, dh = layer["heads"], layer["headDim"]
        bias = layer["bias"]

        def project(name):
            y = h @ self.w(f"{prefix}.attn.w{name}")
            return y + self.w(f"{prefix}.attn.b{name}") if bias else y

        q, k, v = (project(n).view(b, t, heads, dh).transpose(1, 2) for n in ("q", "k", "v"))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        if layer["causal"]:
            scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        y = y @ self.w(f"{prefix}.attn.wo")
        return y + self.w(f"{prefix}.attn.bo") if bias else y

    def ff(self, h, layer, prefix):
        hidden = act(h @ self.w(f"{prefix}.ff.w1") + self.w(f"{prefix}.ff.b1"), layer["activation"])
        return hidden @ self.w(f"{prefix}.ff.w2") + self.w(f"{prefix}.ff.b2")

    def mot(self, h, layer, prefix):
        """SEMANTICS.md "mot": groups of G batch rows at one position; padded rows get zero weight."""
        b, t, d = h.shape
        g, e = layer["group"], layer["experts"]
        temp = layer["temp"]
        tau = self.w(f"{prefix}.mot.log_temp").exp() if temp["kind"] == "learnable" else temp["value"]
        k = -(-b // g)
        pad = k * g - b
        logits = (h @ self.w(f"{prefix}.mot.controller")) / tau  # [B, T, E]
        if pad:
            h = torch.cat([h, h.new_zeros(pad, t, d)])
            logits = torch.cat([logits, logits.new_full((pad, t, e), float("-inf"))])
        weights = logits.view(k, g, t, e).softmax(1)  # over the group's rows
        mixed = torch.einsum("kgte,kgtd->ketd", weights, h.view(k, g, t, d))  # [K, E, T, d]
        per_expert = mixed.transpose(0, 1).reshape(e, k * t, d)  # [E, N, d]
        hidden = act(torch.bmm(per_expert, self.w(f"{prefix}.mot.w1")), layer["activation"])
        y = torch.bmm(hidden, self.w(f"{prefix}.mot.w2")).view(e, k, t, d).transpose(0, 1)  # [K, E, T, d]
        return torch.einsum("kgte,ketd->kgtd", weights, y).reshape(k * g, t, d)[:b]

    def forward(self, ids):
        x = self.embed(ids)
        for layer in self.ir["sublayers"]:
            if layer["kind"] == "mot" and self.skip_mot:
                continue
            prefix = "layers.%d" % layer["index"]
            x = x + getattr(self, layer["kind"])(self.norm(x, prefix + ".norm"), layer, prefix)
        x = self.norm(x, "head.norm")
        unembed = self.w("embed.token").t() if self.ir["tiedHead"] else self.w("head.unembed")
        return x @ unembed


def key(name):
    """ParameterDict keys cannot hold dots."""
    return name.replace(".", "_")


def adamw(model, recipe, lr):
    """torch.optim.AdamW with motc's decoupled decay, on matrices only (the parameter table's `decay`)."""
    opt = recipe["optimizer"]
    params = list(model.p.values())
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": opt["weightDecay"]},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"])


def train_step(model, optimizer, ids, clip, lr=None):
    """One step on rows of context + 1 tokens: next-token cross-entropy, clipped global norm, AdamW. Returns the loss."""
    if lr is not None:
        for group in optimizer.param_groups:
            group["lr"] = lr
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def parity_losses(config):
    """Trains from config's checkpoint on its batches and learning rates; the loss of every step."""
    recipe, lrs = config["recipe"], config["lrs"]
    model = Model(config["model"], load_checkpoint(config["checkpoint"]))
    optimizer = adamw(model, recipe, lrs[0])
    with open(config["batches"], "rb") as f:
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.int32).long()
    data = data.reshape(len(lrs), recipe["batch"], recipe["context"] + 1)
    return [train_step(model, optimizer, data[step], recipe["clip"], lr) for step, lr in enumerate(lrs)]


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "parity":
        raise SystemExit("usage: torch_model.py parity CONFIG.json")
    with open(sys.argv[2]) as f:
        config = json.load(f)
    torch.set_num_threads(config.get("threads", 1))
    print(json.dumps({"torch": torch.__version__, "losses": parity_losses(config)}))


if __name__ == "__main__":
    main()
