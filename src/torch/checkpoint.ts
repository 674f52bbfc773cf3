// motc's checkpoint and run-directory formats (README "Checkpoint format";
// CONTRACTS 3–4) in Python: the reader goes into model.py (any motc
// checkpoint, from either engine), the writer into train.py. Both sides name
// tensors by PARAMETERS, motc's parameter table, and store them in its order,
// and fail with motc's codes (MotcError, model.ts).

/** model.py: reading a checkpoint directory, or the one a run directory's `latest` names. */
export const checkpointReader = String.raw`
def checkpoint_directory(path):
    """The checkpoint a path names: the path itself when it holds checkpoint.json,
    else the checkpoint its 'latest' file names (a run directory)."""
    if os.path.isfile(os.path.join(path, "checkpoint.json")):
        return path
    latest = os.path.join(path, "latest")
    if os.path.isfile(latest):
        with open(latest) as f:
            return os.path.join(path, f.read().strip())
    raise MotcError("MOT309" if os.path.isdir(path) else "MOT300", path)


def read_checkpoint(path):
    """(directory, manifest, state) of the checkpoint a path names. state maps every
    name of PARAMETERS to a float32 tensor of its shape; anything else is refused."""
    directory = checkpoint_directory(path)
    manifest_path, weights_path = os.path.join(directory, "checkpoint.json"), os.path.join(directory, "weights.bin")
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
        weights = bytearray(os.path.getsize(weights_path))  # read in place: one copy of the tensors
        with open(weights_path, "rb") as f:
            f.readinto(weights)
    except OSError as error:
        raise MotcError("MOT201", error.filename, error.strerror)
    except ValueError as error:
        raise MotcError("MOT302", manifest_path, error)
    if manifest.get("format") != "motc-checkpoint" or manifest.get("version") != 1 or not isinstance(manifest.get("params"), list):
        raise MotcError("MOT303", manifest_path)
    stored = {p["name"]: p for p in manifest["params"]}
    state = {}
    for name, shape, _, _ in PARAMETERS:
        p = stored.pop(name, None)
        if p is None:
            raise MotcError("MOT304", directory, name, manifest.get("model"))
        if tuple(p["shape"]) != shape:
            raise MotcError("MOT305", directory, name, ",".join(map(str, p["shape"])), ",".join(map(str, shape)))
        count = math.prod(shape)
        if p.get("dtype") != "float32" or p["length"] != 4 * count or p["offset"] + p["length"] > len(weights):
            raise MotcError("MOT306", directory, name)
        state[name] = torch.frombuffer(weights, dtype=torch.float32, count=count, offset=p["offset"]).view(shape)
    if stored:
        raise MotcError("MOT307", directory, next(iter(stored)), Config.name)
    return directory, manifest, state
`;

/** train.py: the optimizer's moments, and saving a step into the run directory atomically. */
export const checkpointWriter = String.raw`
def read_moments(directory, manifest):
    """optimizer.bin: for each parameter in the manifest's order, its AdamW m then v
    (float32), after checking both files against the hashes the manifest recorded."""
    trainer = manifest.get("extra", {}).get("trainer", {})
    try:
        with open(os.path.join(directory, "optimizer.bin"), "rb") as f:
            moments = bytearray(f.read())
        with open(os.path.join(directory, "weights.bin"), "rb") as f:
            weights_hash = hashlib.sha256(f.read()).hexdigest()
    except OSError as error:
        raise MotcError("MOT201", error.filename, error.strerror)
    if [weights_hash, sha256([moments])] != [trainer.get("sha256", {}).get(k) for k in ("weights", "optimizer")]:
        raise MotcError("MOT308", directory, "weights.bin", "optimizer.bin", "checkpoint.json")
    m, v = {}, {}
    for p in manifest["params"]:
        count, shape = p["length"] // 4, tuple(p["shape"])
        m[p["name"]] = torch.frombuffer(moments, dtype=torch.float32, count=count, offset=2 * p["offset"]).view(shape)
        v[p["name"]] = torch.frombuffer(moments, dtype=torch.float32, count=count, offset=2 * p["offset"] + p["length"]).view(shape)
    return m, v


def write_file(path, chunks):
    """Writes the chunks and flushes them to the disk before the file is used."""
    with open(path, "wb") as f:
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


def save_checkpoint(run, step, weights, m, v, trainer):
    """Saves step s as RUN/checkpoint-00000s/ (CONTRACTS 4): every file into a temporary
    directory, which is renamed; then RUN/latest is replaced (the commit point), and
    every checkpoint but this one and the one 'latest' named before is removed. A kill
    at any instant leaves 'latest' naming a complete checkpoint."""
    name = f"checkpoint-{step:06d}"
    temporary = os.path.join(run, f"{name}.tmp-{os.getpid()}")
    os.makedirs(temporary)
    params, offset = [], 0
    for parameter, shape, _, _ in PARAMETERS:
        length = 4 * math.prod(shape)
        params.append({"name": parameter, "shape": list(shape), "dtype": "float32", "offset": offset, "length": length})
        offset += length
    weight_bytes = [tensor_bytes(weights[p["name"]]) for p in params]
    moment_bytes = [b for p in params for b in (tensor_bytes(m[p["name"]]), tensor_bytes(v[p["name"]]))]
    trainer = dict(trainer, sha256={"weights": sha256(weight_bytes), "optimizer": sha256(moment_bytes)})
    manifest = {"format": "motc-checkpoint", "version": 1, "model": Config.name, "step": step, "params": params, "extra": {"trainer": trainer}}
    write_file(os.path.join(temporary, "optimizer.bin"), moment_bytes)
    write_file(os.path.join(temporary, "weights.bin"), weight_bytes)
    write_file(os.path.join(temporary, "checkpoint.json"), [(json.dumps(manifest, indent=2) + "\n").encode()])
    final = os.path.join(run, name)
    previous = latest_checkpoint(run)
    if os.path.exists(final):  # left by a run killed before it committed this step
        shutil.rmtree(final)
    os.rename(temporary, final)
    pointer = os.path.join(run, f"latest.tmp-{os.getpid()}")
    write_file(pointer, [(name + "\n").encode()])
    os.replace(pointer, os.path.join(run, "latest"))
    for entry in os.listdir(run):
        path = os.path.join(run, entry)
        if ".tmp-" in entry:  # a temporary of a process that died before renaming it
            pid = entry.rsplit(".tmp-", 1)[1]
            if not (pid.isdigit() and process_alive(int(pid))):
                remove(path)
        elif entry.startswith("checkpoint-") and entry not in (name, previous):
            shutil.rmtree(path, ignore_errors=True)


def sha256(chunks):
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def lock_run(run):
    """RUN/lock, one run per directory (the run-directory contract): this process's pid,
    created at once (a hard link of a file that already holds it). A live holder
    refuses the run (MOT504) unless it is the motc that started this process, which
    holds it for its ranks; a dead one's lock is taken over. Returns a release()."""
    path = os.path.join(run, "lock")
    temporary = f"{path}.tmp-{os.getpid()}"
    write_file(temporary, [f"{os.getpid()}\n".encode()])
    try:
        while True:
            try:
                os.link(temporary, path)
                break
            except FileExistsError:
                pass
            try:
                with open(path) as f:
                    holder = int(f.read().strip())
            except (OSError, ValueError):
                holder = None
            if holder is not None and str(holder) == os.environ.get("MOTC_PARENT_PID"):
                return lambda: None
            if holder is not None and holder != os.getpid() and process_alive(holder):
                raise MotcError("MOT504", run, holder, path)
            remove(path)
    finally:
        remove(temporary)
    return lambda: remove(path)


def latest_checkpoint(run):
    """The directory name RUN/latest holds, or None before the first save."""
    try:
        with open(os.path.join(run, "latest")) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def process_alive(pid):
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)
`;
