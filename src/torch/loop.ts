// train.py's process, rank and loop, in Python: who this process is (World),
// what it reports (Reporter, Metrics), the model wrapped for the run with its
// optimizer, evaluation, one update, and the loop of updates. Everything a later
// step depends on (weights, moments, the step) is in the checkpoint and every
// batch depends only on the step, so --resume continues bit for bit.

export const loopPy = String.raw`
class Reporter:
    """What rank 0 tells its caller: lines for a person on stderr, or, with --progress
    json (motc train --engine torch), one JSON object a line on stdout."""

    def __init__(self, mode, rank):
        self.json, self.quiet = mode == "json", rank != 0

    def emit(self, record, text=None):
        if self.quiet:
            return
        if self.json:
            print(json.dumps(record, separators=(",", ":")), flush=True)
        elif text:
            print(text, file=sys.stderr, flush=True)

    def note(self, text):
        self.emit({"kind": "note", "text": text}, text)


class Metrics:
    """RUN/metrics.jsonl, written by rank 0: one record a line, flushed as written.
    Resuming keeps the records up to the resumed step (rewritten atomically)."""

    def __init__(self, run, resumed_step):
        self.path = os.path.join(run, "metrics.jsonl")
        kept = []
        if resumed_step is not None and os.path.exists(self.path):
            with open(self.path) as f:
                for line in f:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        break  # a line torn by a kill, and nothing after it
                    if record["step"] <= resumed_step:
                        kept.append(line.rstrip("\n") + "\n")
        temporary = f"{self.path}.tmp-{os.getpid()}"
        write_file(temporary, ["".join(kept).encode()])
        os.replace(temporary, self.path)
        self.file = open(self.path, "a")

    def add(self, record):
        self.file.write(json.dumps(record, separators=(",", ":")) + "\n")  # as motc writes it
        self.file.flush()


class World:
    """This process's place in the run. torchrun (or motc) sets RANK, WORLD_SIZE,
    LOCAL_RANK, MASTER_ADDR and MASTER_PORT; without them it is the only process."""

    def __init__(self, device):
        self.rank = int(os.environ.get("RANK", "0"))
        self.size = int(os.environ.get("WORLD_SIZE", "1"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise MotcError("MOT723", torch.__version__)
        self.device = torch.device(f"cuda:{local_rank}" if device == "cuda" else "cpu")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if self.size > 1:
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    def sum(self, values):
        """Σ over the ranks of a list of numbers."""
        if self.size == 1:
            return values
        total = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(total)
        return total.tolist()


def unwrapped(model):
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def parameters_by_name(model):
    """SEMANTICS.md name → parameter, through a DDP wrapper (FSDP2 keeps the names)."""
    return dict(unwrapped(model).named_parameters())


def fully_shard_api():
    """FSDP2's fully_shard, where it can leave parameters out (ignored_params, PyTorch 2.7 on); else None."""
    try:
        from torch.distributed.fsdp import fully_shard
    except Exception:  # absent, or (PyTorch 1.13 on Python 3.11) failing to import
        return None
    return fully_shard if "ignored_params" in inspect.signature(fully_shard).parameters else None


def scalar_parameters(model):
    """The 0-dimensional parameters (MoT's log_temp), which FSDP2 cannot shard: every rank
    keeps them whole and train.py averages their gradients itself (average_gradients)."""
    return [p for p in model.parameters() if p.dim() == 0]


def average_gradients(params, world):
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= world.size


def build(world, state, recipe, fsdp):
    """The model with the given weights on this rank's device, wrapped for the run
    (DDP, FSDP or neither), and AdamW over it, decaying the parameter table's matrices."""
    model = Model(Config())
    model.load_state_dict(state)
    model.to(world.device)
    if fsdp:  # every block holds 1/W of its parameters and gathers them only while it runs
        from torch.distributed.device_mesh import init_device_mesh

        fully_shard, mesh = fully_shard_api(), init_device_mesh(world.device.type, (world.size,))
        scalars = set(scalar_parameters(model))
        for block in model.layers:
            fully_shard(block, mesh=mesh, ignored_params=scalars)
        fully_shard(model, mesh=mesh, ignored_params=scalars)
    elif world.size > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[world.device] if world.device.type == "cuda" else None)
    decays = {name: decay for name, _, _, decay in PARAMETERS}
    named = parameters_by_name(model)
    adamw = recipe["optimizer"]
    optimizer = torch.optim.AdamW(
        [{"params": [p for name, p in named.items() if decays[name]], "weight_decay": adamw["weightDecay"]},
         {"params": [p for name, p in named.items() if not decays[name]], "weight_decay": 0.0}],
        lr=recipe["lr"], betas=(adamw["beta1"], adamw["beta2"]), eps=adamw["eps"])
    return model, optimizer


def load_moments(model, optimizer, m, v, step, fsdp):
    """Puts a checkpoint's AdamW state (moments by name, and the step) into the optimizer."""
    named = parameters_by_name(model)
    state = {name: {"step": torch.tensor(float(step)), "exp_avg": m[name].clone(), "exp_avg_sq": v[name].clone()} for name in named}
    if fsdp:  # every rank read the whole checkpoint; each keeps its shards
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

        names = {id(p): name for name, p in named.items()}
        groups = [dict(group, params=[names[id(p)] for p in group["params"]]) for group in optimizer.param_groups]
        set_optimizer_state_dict(model, optimizer, {"state": state, "param_groups": groups}, options=StateDictOptions(full_state_dict=True))
        return
    for name, p in named.items():
        optimizer.state[p] = {key: value.to(p.device) if key != "step" else value for key, value in state[name].items()}


def full_state(model, optimizer, fsdp):
    """(weights, m, v) by parameter name, on rank 0 (None elsewhere under FSDP, which
    gathers them there); a parameter not updated yet has zero moments."""
    if fsdp:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict, get_optimizer_state_dict

        options = StateDictOptions(full_state_dict=True, cpu_offload=True)  # rank 0 gets it all, the others nothing
        weights = get_model_state_dict(model, options=options)
        moments = get_optimizer_state_dict(model, optimizer, options=options).get("state", {})
        if not weights:
            return None
    else:
        named = parameters_by_name(model)
        weights = {name: p.detach() for name, p in named.items()}
        moments = {name: optimizer.state.get(p, {}) for name, p in named.items()}
    moment = lambda name, key: moments.get(name, {}).get(key, torch.zeros_like(weights[name]))
    return weights, {name: moment(name, "exp_avg") for name in weights}, {name: moment(name, "exp_avg_sq") for name in weights}


def clip_gradients(model, clip):
    """Scales every gradient by min(1, clip / (norm + 1e-6)) (clip 0: none), as motc's trainer
    and torch.nn.utils.clip_grad_norm_ do; returns the global norm before clipping. Written
    out because FSDP2's sharded gradients (DTensors) and whole ones are norms of one sum."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norms = [g.detach().norm() for g in grads]
    total = torch.stack([n.full_tensor() if hasattr(n, "full_tensor") else n for n in norms]).norm()
    if clip > 0:
        scale = min(1.0, clip / (float(total) + 1e-6))
        for g in grads:
            g.mul_(scale)
    return float(total)


def anneal_temperatures(model, recipe, update):
    """After update u, pulls every learnable log_temp a share of the way to ln(final)."""
    share = anneal_share(recipe, update)
    if share is None or not TEMPERATURES:
        return
    target = math.log(recipe["temp"]["final"])
    named = parameters_by_name(model)
    with torch.no_grad():
        for name in TEMPERATURES:
            p = named[name]
            current = (p.full_tensor() if hasattr(p, "full_tensor") else p).item()  # FSDP2: a DTensor
            p.fill_(target if share == 1 else (1 - share) * current + share * target)


def evaluate(model, val, batches, context, world, autocast, fsdp):
    """Mean next-token cross-entropy (nats/token) over the evaluation batches. Each batch
    runs whole on one rank (MoT mixes across it), round robin, and the sums are added."""
    module = model if fsdp else unwrapped(model)
    module.eval()
    total = [0.0, 0.0]
    with torch.no_grad():
        for round_start in range(0, len(batches), world.size):
            i = round_start + world.rank
            if i >= len(batches) and not fsdp:
                continue
            inputs, targets = val.windows(batches[min(i, len(batches) - 1)], context)  # FSDP: every rank runs
            with autocast:
                logits = module(inputs.to(world.device))
            loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.to(world.device).reshape(-1), reduction="sum")
            if i < len(batches):
                total[0] += loss.item()
                total[1] += targets.numel()
    module.train()
    loss_sum, tokens = world.sum(total)
    return loss_sum / tokens


def micro_batches(train, recipe, step, world, accumulate):
    """This rank's rows [k·B/W, (k+1)·B/W) of update step's batch (CONTRACTS 2), as
    accumulate micro-batches of (inputs, targets) on its device."""
    batch, context = recipe["batch"], recipe["context"]
    rows = batch // world.size
    starts = batch_starts(recipe["seed"], step, train.tokens, context, batch)[world.rank * rows : (world.rank + 1) * rows]
    micro = rows // accumulate
    return [tuple(t.to(world.device) for t in train.windows(starts[k * micro : (k + 1) * micro], context)) for k in range(accumulate)]


def update(model, optimizer, batches, recipe, step, world, autocast, fsdp):
    """Update step (1-based) on this rank's micro-batches: forward and backward of each
    (the ranks' gradients added up once, after the last), clipping, AdamW at the
    schedule's rate, then temp = anneal's pull. Returns (the global batch's loss, the
    gradient norm, the learning rate); a loss or norm that is not finite changes nothing."""
    lr = learning_rate(recipe, step)
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss_sum = torch.zeros((), dtype=torch.float64, device=world.device)
    for k, (inputs, targets) in enumerate(batches):
        torch.manual_seed(Random(recipe["seed"], f"dropout.{step}.{world.rank}.{k}").next_uint32())  # the same masks on resume
        syncing = k == len(batches) - 1 or world.size == 1
        if fsdp:
            model.set_requires_gradient_sync(syncing)
        with contextlib.nullcontext() if syncing or fsdp else model.no_sync():
            with autocast:
                _, loss = model(inputs, targets)
            (loss / len(batches)).backward()
        loss_sum += loss.detach()
    if fsdp:
        average_gradients(scalar_parameters(unwrapped(model)), world)
    # The global batch's loss: every micro-batch has the same number of tokens.
    loss = world.sum([loss_sum.item()])[0] / (world.size * len(batches))
    grad_norm = clip_gradients(model, recipe["clip"])
    if math.isfinite(loss) and math.isfinite(grad_norm):
        optimizer.step()
        anneal_temperatures(model, recipe, step)
    optimizer.zero_grad(set_to_none=True)
    return loss, grad_norm, lr


def train(args, reporter):
    stop = Stop()
    if args.resume and args.resume_from:
        raise MotcError("MOT515")
    if args.fsdp and fully_shard_api() is None:
        raise MotcError("MOT721", torch.__version__)
    world = World(args.device)
    fsdp = args.fsdp and world.size > 1
    if args.dtype == "bf16" and world.device.type != "cuda":
        raise MotcError("MOT722", world.device.type)
    recipe, data, trainer, state, moments, step, release = start(args, world, reporter)
    try:
        model, optimizer = build(world, state, recipe, fsdp)
        del state  # the checkpoint's bytes: the model has its own copy now
        run(args, reporter, world, fsdp, stop, recipe, data, trainer, model, optimizer, moments, step)
    finally:
        release()


def run(args, reporter, world, fsdp, stop, recipe, data, trainer, model, optimizer, moments, step):
    """The loop of updates from step, with its evaluations and saves."""
    steps, batch, context = recipe["steps"], recipe["batch"], recipe["context"]
    if moments:
        load_moments(model, optimizer, *moments, step, fsdp)
    resumed = moments is not None
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if args.dtype == "bf16" else contextlib.nullcontext()
    evaluation = evaluation_batches(data.val, context, batch)
    metrics = Metrics(args.out, step if resumed else None) if world.rank == 0 else None
    entropy = unigram_entropy(data.train) if world.rank == 0 else None
    reporter.emit({"kind": "start", "model": Config.name, "step": step, "steps": steps, "resumed": resumed,
                   "device": str(world.device), "world": world.size, "accumulate": args.accumulate, "dtype": args.dtype,
                   "torch": torch.__version__, "train_tokens": data.train.tokens, "val_tokens": data.val.tokens,
                   "tokenizer": data.manifest["tokenizer"], "unigram_entropy": entropy},
                  f"{Config.name}: {data.train.tokens} train / {data.val.tokens} val tokens ({data.manifest['tokenizer']}) on "
                  f"torch {torch.__version__} {world.device} × {world.size} rank(s), {args.accumulate} micro-batch(es) each")
    if recipe.get("temp") and not TEMPERATURES:
        reporter.note(f"note: temp = anneal(...) has nothing to anneal: {Config.name} has no learnable mot temperature")

    def record(entry, text=None):
        if metrics:
            metrics.add(entry)
        reporter.emit(entry, text)

    def save():
        state = full_state(model, optimizer, fsdp)
        if world.rank == 0:
            save_checkpoint(args.out, step, *state, dict(trainer, optimizerStep=step))
        if world.size > 1:
            dist.barrier()
        reporter.emit({"kind": "saved", "step": step})

    eval_loss = loss = None
    if not resumed:
        eval_loss = evaluate(model, data.val, evaluation, context, world, autocast, fsdp)
        record({"kind": "eval", "step": 0, "eval_loss": eval_loss}, f"step 0: eval loss {eval_loss:.4f}")
    log_every = args.log_every or max(1, round(steps / 50))
    end = min(steps, args.stop_at or steps)
    last_saved, interrupted, started, first = (step if resumed else None), False, time.perf_counter(), step
    while step < end and not interrupted:
        began, began_cpu = time.perf_counter(), time.process_time()
        batches = micro_batches(data.train, recipe, step + 1, world, args.accumulate)
        loss, grad_norm, lr = update(model, optimizer, batches, recipe, step + 1, world, autocast, fsdp)
        if not (math.isfinite(loss) and math.isfinite(grad_norm)):
            kept = "no checkpoint was written yet" if last_saved is None else f"the last good checkpoint (step {last_saved}) is kept in {args.out}"
            raise MotcError("MOT502", loss, step + 1, grad_norm, kept)
        step += 1
        seconds, elapsed, cpu = time.perf_counter() - began, time.perf_counter() - started, time.process_time() - began_cpu
        entry = {"kind": "train", "step": step, "loss": loss, "lr": lr, "grad_norm": grad_norm,
                 "tokens_per_s": round(batch * context / seconds, 2), "elapsed_s": round(elapsed, 2)}
        record(entry, f"step {step}/{steps}  loss {loss:.4f}  {batch * context / seconds:.0f} tok/s" if step % log_every == 0 or step == steps else None)
        reporter.emit({"kind": "time", "step": step, "wall_s": seconds, "cpu_s": cpu})  # the step's own time (JSON only; benches read it)
        if step % recipe["evalEvery"] == 0 or step == steps:
            eval_loss = evaluate(model, data.val, evaluation, context, world, autocast, fsdp)
            record({"kind": "eval", "step": step, "eval_loss": eval_loss}, f"step {step}: eval loss {eval_loss:.4f}, train loss {loss:.4f}")
        if step % recipe["checkpointEvery"] == 0 or step == end:
            save()
            last_saved = step
        interrupted = world.sum([1.0 if stop.wanted() else 0.0])[0] > 0  # every rank stops at the same step
    if last_saved != step:
        save()
    reporter.emit({"kind": "done", "step": step, "steps": steps, "loss": loss, "eval_loss": eval_loss, "interrupted": interrupted,
                   "seconds": time.perf_counter() - started, "updates": step - first, "peak_memory": peak_memory(world.device)},
                  f"{'trained' if step == steps else 'stopped'} {Config.name} to step {step}/{steps}: train loss "
                  f"{'-' if loss is None else f'{loss:.4f}'}, eval loss {'-' if eval_loss is None else f'{eval_loss:.4f}'}; checkpoint in {args.out}")
    if interrupted:
        raise MotcError("MOT503", stop.reason or "another rank", step, args.out)


def main(argv=None):
    args = parse_args(argv)
    reporter = Reporter(args.progress, int(os.environ.get("RANK", "0")))
    code = 0
    try:
        train(args, reporter)
    except MotcError as error:
        reporter.emit({"kind": "error", "code": error.code, "args": error.values}, f"train.py: error {error.code}: {error}")
        code = 130 if error.code == "MOT503" else 1  # the table's exit status of an interrupt (as motc's for SIGINT)
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    sys.exit(code)


if __name__ == "__main__":
    main()
`;
