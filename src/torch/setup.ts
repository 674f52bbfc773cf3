// train.py's setup, in Python: its flags, the stop signals, and the start of a
// run (the recipe with flags applied, the dataset checked against the model,
// and the weights and optimizer state of a fresh, resumed or fine-tuning run).
// A resumed run must read the same batches, so what decides them is checked.

export const setupPy = String.raw`
def peak_memory(device):
    """Bytes: the most this process held (its peak resident set), or on CUDA the most
    PyTorch allocated on the device."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux counts KiB


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a dataset directory written by motc data prepare")
    parser.add_argument("--out", required=True, help="the run directory: checkpoints, latest, metrics.jsonl")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    parser.add_argument("--resume-from", help="start from this checkpoint's weights with a new optimizer, at step 0")
    parser.add_argument("--initial", default=os.path.join(here, "initial"), help="the weights a fresh run starts from")
    parser.add_argument("--force", action="store_true", help="--resume with a changed lr, warmup, schedule, optimizer, clip or temp (the curve then differs)")
    parser.add_argument("--stop-at", type=positive, help="stop after this step with a checkpoint (continue with --resume)")
    for flag, key in (("--steps", "steps"), ("--batch", "batch"), ("--eval-every", "evalEvery"), ("--checkpoint-every", "checkpointEvery")):
        parser.add_argument(flag, type=positive, dest=key, help=f"recipe: {key} ({RECIPE[key]})")
    parser.add_argument("--lr", type=float, help=f"recipe: peak learning rate ({RECIPE['lr']})")
    parser.add_argument("--accumulate", type=positive, default=1, help="micro-batches per rank and step (gradient accumulation)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32", help="bf16: autocast on CUDA")
    parser.add_argument("--fsdp", action="store_true", help="shard the model with FSDP2 (PyTorch 2.4 or later) instead of DDP")
    parser.add_argument("--log-every", type=positive, help="a progress line every N steps (default: steps / 50)")
    parser.add_argument("--progress", choices=["text", "json"], default="text", help="json: one record a line on stdout")
    return parser.parse_args(argv)


class Stop:
    """SIGINT, SIGTERM or SIGHUP: finish the step, save and exit; a second one exits at once
    (128 + its number). Started by motc (MOTC_PARENT_PID), a rank also stops, saving,
    when motc is gone."""

    def __init__(self):
        self.reason = None
        self.parent = os.environ.get("MOTC_PARENT_PID")
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request)

    def request(self, signum, frame):
        if self.reason is not None:
            os._exit(128 + signum)
        self.reason = signal.Signals(signum).name

    def wanted(self):
        if self.reason is None and self.parent is not None and str(os.getppid()) != self.parent:
            self.reason = "motc's exit"
        return self.reason is not None


def start(args, world, reporter):
    """The run's recipe, data, weights and optimizer: fresh, resumed or from other weights."""
    recipe = dict(RECIPE, **{key: getattr(args, key) for key in ("steps", "batch", "lr", "evalEvery", "checkpointEvery") if getattr(args, key) is not None})
    batch, context = recipe["batch"], recipe["context"]
    if batch % (world.size * args.accumulate):
        raise MotcError("MOT720", batch, world.size, args.accumulate)
    data = Dataset(args.data)
    manifest = data.manifest
    if manifest["vocab"] > Config.vocab:
        raise MotcError("MOT624", args.data, manifest["tokenizer"], manifest["vocab"], Config.name, Config.vocab)
    if data.train.tokens < context + 1 + batch:  # CONTRACTS 2: too little data to draw a batch from
        raise MotcError("MOT626", "train", args.data, data.train.tokens, batch, context + 1, context + 1 + batch)
    if data.val.tokens < context + 1:
        raise MotcError("MOT627", args.data, data.val.tokens, context + 1)
    run = args.out
    os.makedirs(run, exist_ok=True)
    release = lock_run(run) if world.rank == 0 else (lambda: None)
    trainer = {"version": 1, "engine": "torch", "backend": world.device.type, "modelFingerprint": MODEL_FINGERPRINT,
               "recipe": recipe, "tokenizer": manifest["tokenizer"],
               "data": {"sources": [args.data], "tokens": data.train.tokens + data.val.tokens, "fingerprint": data.fingerprint},
               "world": {"size": world.size, "accumulate": args.accumulate}}
    if args.resume:
        latest = latest_checkpoint(run)  # CONTRACTS 4: --resume reads RUN/latest
        if latest is None:
            raise MotcError("MOT510", run)
        directory, checkpoint, state = read_checkpoint(os.path.join(run, latest))
        check_resumable(directory, checkpoint, trainer, reporter, args.force)
        m, v = read_moments(directory, checkpoint)
        step = checkpoint["step"]
        reporter.note(f"resuming {Config.name} from step {step} ({directory})")
        return recipe, data, trainer, state, (m, v), step, release
    if latest_checkpoint(run) is not None or os.path.exists(os.path.join(run, "checkpoint.json")):
        raise MotcError("MOT500", run)
    directory, checkpoint, state = read_checkpoint(args.resume_from or args.initial)
    if args.resume_from:
        reporter.note(f"starting {Config.name} from the weights in {args.resume_from} (model '{checkpoint['model']}', step {checkpoint['step']}) with a new optimizer")
    return recipe, data, trainer, state, None, 0, release


def check_resumable(directory, checkpoint, trainer, reporter, force=False):
    """A resumed run must see the same model and the same batches: same data, tokenizer,
    batch, context and seed; and, unless --force, the same lr, warmup, schedule,
    optimizer, clip and temp (else the curve is not the uninterrupted one's). What
    changes only the last bits or the mixing is noted. A trainer record that is not
    motc's is refused naming the field (as motc's own reader does)."""
    file = os.path.join(directory, "checkpoint.json")
    if checkpoint.get("model") != Config.name:
        raise MotcError("MOT511", directory, checkpoint.get("model"), Config.name)
    stored = checkpoint.get("extra", {}).get("trainer") if isinstance(checkpoint.get("extra"), dict) else None
    if not isinstance(stored, dict) or stored.get("version") != 1:
        raise MotcError("MOT512", directory)
    field(file, checkpoint, "step", int, "step")
    field(file, stored, "modelFingerprint", str)
    recipe = field(file, stored, "recipe", dict)
    data = field(file, stored, "data", dict)
    for key in ("batch", "context", "seed", "steps", "warmup"):
        field(file, recipe, key, int, f"extra.trainer.recipe.{key}")
    field(file, data, "fingerprint", str, "extra.trainer.data.fingerprint")
    sources = field(file, data, "sources", list, "extra.trainer.data.sources")
    if stored["modelFingerprint"] != MODEL_FINGERPRINT:
        raise MotcError("MOT513", directory, Config.name)
    if data["fingerprint"] != trainer["data"]["fingerprint"]:
        raise MotcError("MOT514", directory, "data", ", ".join(map(str, sources)), ", ".join(trainer["data"]["sources"]) + " (different tokens)")
    if stored.get("tokenizer") != trainer["tokenizer"]:
        raise MotcError("MOT514", directory, "tokenizer", stored.get("tokenizer"), trainer["tokenizer"])
    for key in ("batch", "context", "seed"):
        if recipe[key] != trainer["recipe"][key]:
            raise MotcError("MOT514", directory, key, recipe[key], trainer["recipe"][key])
    if checkpoint["step"] > trainer["recipe"]["steps"]:
        raise MotcError("MOT518", directory, checkpoint["step"], trainer["recipe"]["steps"])
    for key in ("lr", "warmup", "schedule", "optimizer", "clip", "temp"):
        was, now = recipe_value(recipe.get(key)), recipe_value(trainer["recipe"].get(key))
        if was == now:
            continue
        if not force:
            raise MotcError("MOT517", directory, key, was, now)
        reporter.note(f"note: --force: resuming with {key} {now} (the checkpoint was trained with {was}): "
                      f"the curve from step {checkpoint['step']} on differs from an uninterrupted run")
    if recipe["steps"] != trainer["recipe"]["steps"]:
        reporter.note(f"note: the checkpoint was trained for {recipe['steps']} steps; continuing to {trainer['recipe']['steps']}")
    if stored.get("engine") != "torch" or stored.get("backend") != trainer["backend"]:
        reporter.note(f"note: the checkpoint was trained on {stored.get('engine')} {stored.get('backend')}; continuing on torch {trainer['backend']} (the curve can differ in the last bits)")
    world = stored.get("world", trainer["world"])
    if world != trainer["world"]:
        sizes = f"{world['size']} rank(s) × {world['accumulate']} micro-batch(es)" if isinstance(world, dict) and {"size", "accumulate"} <= world.keys() else json.dumps(world)
        reporter.note(f"note: the checkpoint was trained with {sizes}; MoT groups form per micro-batch, so the curve changes")


def field(file, record, key, kind, path=None):
    """record[key], refused with the file and field unless it is a kind (bool is no int)."""
    value = record.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)) or (kind is int and value < 0):
        raise MotcError("MOT330", file, path or f"extra.trainer.{key}", {int: "a non-negative integer", str: "a string", dict: "an object", list: "an array"}[kind], json.dumps(value))
    return value


def recipe_value(value):
    """A recipe value as motc's messages print it (src/train/loop.ts describeRecipeValue)."""
    if value is None:
        return "none"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
`;
