"""Runs forward passes of generated model.py programs for the tests (test/torch/support.ts).

One process for many programs (starting Python and torch costs seconds): a JSON file
lists jobs {program, weights, ids, out, training, targets}; each job loads
PROGRAM/model.py under its own module name, reads the checkpoint with its
read_checkpoint, runs the ids in eval or training mode (moe capacity limits and
auxiliary losses) and writes the logits with its save_npy. With targets, it also
takes the loss's gradients. Prints one JSON line: for each job, the moe layers'
auxiliary losses (training mode), and the loss and gradients by parameter name.
"""
import importlib.util
import json
import sys

import torch


def load(program, name):
    spec = importlib.util.spec_from_file_location(name, f"{program}/model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    results = []
    for i, job in enumerate(jobs):
        module = load(job["program"], f"motc_model_{i}")
        _, _, state = module.read_checkpoint(job["weights"])
        model = module.Model()
        model.load_state_dict(state)
        model.train(job.get("training", False))
        with open(job["ids"]) as f:
            ids = torch.tensor(json.load(f), dtype=torch.long)
        result = {}
        if job.get("targets"):
            with open(job["targets"]) as f:
                targets = torch.tensor(json.load(f), dtype=torch.long)
            logits, loss = model(ids, targets)
            loss.backward()
            result["loss"] = loss.item()
            result["grads"] = {name: p.grad.flatten().tolist() for name, p in model.named_parameters()}
        else:
            with torch.no_grad():
                logits = model(ids)
        module.save_npy(job["out"], logits)
        aux = [getattr(getattr(b, b.prefix), "aux_loss", None) for b in model.layers]
        results.append(dict(result, aux=[float(a) for a in aux if a is not None]))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
