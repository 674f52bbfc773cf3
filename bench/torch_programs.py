"""Loading the PyTorch programs motc generates (motc compile --target torch), for the benches in Python."""
import importlib.util
import os
import sys


def load_program(directory, name):
    """A generated program's train.py as a module of its own, under the name `name`; its
    `from model import …` sees its own model.py, loaded first as `model`."""
    modules = {}
    for file in ("model", "train"):
        spec = importlib.util.spec_from_file_location(f"{name}_{file}", os.path.join(directory, f"{file}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        if file == "model":
            sys.modules["model"] = module
        spec.loader.exec_module(module)
        modules[file] = module
    return modules["train"]
