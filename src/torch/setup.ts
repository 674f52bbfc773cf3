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
        check_resumable(directory, checkpoint, trainer, reporter)
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


def check_resumable(directory, checkpoint, trainer, reporter):
    """A resumed run must see the same model and the same batches: same data, tokenizer,
    batch, context and seed. What changes only the last bits or the mixing is noted."""
    stored = checkpoint.get("extra", {}).get("trainer")
    if checkpoint.get("model") != Config.name:
        raise MotcError("MOT511", directory, checkpoint.get("model"), Config.name)
    if not stored or stored.get("version") != 1:
        raise MotcError("MOT512", directory)
    if stored["modelFingerprint"] != MODEL_FINGERPRINT:
        raise MotcError("MOT513", directory, Config.name)
    if stored["data"]["fingerprint"] != trainer["data"]["fingerprint"]:
        raise MotcError("MOT514", directory, "data", ", ".join(stored["data"]["sources"]), ", ".join(trainer["data"]["sources"]) + " (different tokens)")
    if stored["tokenizer"] != trainer["tokenizer"]:
        raise MotcError("MOT514", directory, "tokenizer", stored["tokenizer"], trainer["tokenizer"])
    for key in ("batch", "context", "seed"):
        if stored["recipe"][key] != trainer["recipe"][key]:
            raise MotcError("MOT514", directory, key, stored["recipe"][key], trainer["recipe"][key])
    if stored["recipe"]["steps"] != trainer["recipe"]["steps"]:
        reporter.note(f"note: the checkpoint was trained for {stored['recipe']['steps']} steps; continuing to {trainer['recipe']['steps']}")
    if stored.get("engine") != "torch" or stored.get("backend") != trainer["backend"]:
        reporter.note(f"note: the checkpoint was trained on {stored.get('engine')} {stored.get('backend')}; continuing on torch {trainer['backend']} (the curve can differ in the last bits)")
    if stored.get("world", trainer["world"]) != trainer["world"]:
        reporter.note(f"note: the checkpoint was trained with {stored['world']['size']} rank(s) × {stored['world']['accumulate']} micro-batch(es); "
                      "MoT groups form per micro-batch, so the curve changes")
`;
