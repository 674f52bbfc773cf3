// train.py's data (CONTRACTS 1–2), in Python: motc's seeded Random
// (src/ir/random.ts, the same numbers bit for bit), a prepared dataset read by
// memory map, the window starts of every update and the evaluation windows.
// Both engines draw the same batches from the same dataset and seed.

export const dataPy = String.raw`
MASK32 = 0xFFFFFFFF


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


class Random:
    """motc's seeded random source (src/ir/random.ts): a 32-bit FNV-1a hash of
    "seed:key" seeds four words through splitmix32, then xoshiro128**."""

    def __init__(self, seed, key=""):
        h = 0x811C9DC5
        for ch in f"{seed}:{key}":
            h = ((h ^ ord(ch)) * 0x01000193) & MASK32
        self.state = []
        for _ in range(4):
            h = (h + 0x9E3779B9) & MASK32
            z = ((h ^ (h >> 16)) * 0x85EBCA6B) & MASK32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK32
            self.state.append(z ^ (z >> 16))

    def next_uint32(self):
        s0, s1, s2, s3 = self.state
        result = (rotl((s1 * 5) & MASK32, 7) * 9) & MASK32
        t = (s1 << 9) & MASK32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self.state = [s0, s1, s2, rotl(s3, 11)]
        return result

    def index(self, n):
        """Uniform integer in [0, n), n < 2^53: a 53-bit uniform from 27 + 26 bits of two draws."""
        a = self.next_uint32() >> 5
        b = self.next_uint32() >> 6
        return math.floor((a * 67108864 + b) / 9007199254740992 * n)


class TokenStream:
    """One split of a prepared dataset: its shards, memory-mapped, read as one stream of ids."""

    def __init__(self, directory, name, split, dtype, vocab):
        self.directory, self.name, self.vocab = directory, name, vocab
        self.shards, self.starts, self.tokens = [], [], 0
        for shard in split["shards"]:
            path = os.path.join(directory, shard["file"])
            try:
                size = os.path.getsize(path)
            except OSError as error:
                raise MotcError("MOT201", path, error.strerror)
            if size != shard["tokens"] * dtype.itemsize:
                raise MotcError("MOT622", directory, shard["file"], size, shard["tokens"], dtype.name)
            if shard["tokens"] > 0:  # an empty file cannot be mapped
                self.shards.append(np.memmap(path, dtype=dtype, mode="r"))
                self.starts.append(self.tokens)
                self.tokens += shard["tokens"]

    def read(self, start, count):
        """tokens[start : start + count] as int64 (a window may span shards)."""
        parts, at, end = [], start, start + count
        shard = bisect.bisect_right(self.starts, at) - 1
        while at < end:
            offset = at - self.starts[shard]
            parts.append(self.shards[shard][offset : offset + end - at])
            at, shard = at + len(parts[-1]), shard + 1
        ids = np.concatenate(parts).astype(np.int64)
        if ids.max() >= self.vocab:  # a corrupt shard: refuse rather than embed garbage
            i = int(np.argmax(ids >= self.vocab))
            raise MotcError("MOT623", self.directory, start + i, self.name, int(ids[i]), self.vocab)
        return ids

    def windows(self, starts, context):
        """inputs [rows, context] and targets (the next token of each) for the given starts."""
        rows = torch.from_numpy(np.stack([self.read(start, context + 1) for start in starts]))
        return rows[:, :-1], rows[:, 1:]


class Dataset:
    """A dataset directory written by motc data prepare: manifest.json and shards of
    little-endian uint16 (vocab ≤ 65536) or uint32 token ids, no header."""

    def __init__(self, directory):
        self.directory = directory
        try:
            with open(os.path.join(directory, "manifest.json"), "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise MotcError("MOT620", directory)
        except OSError as error:
            raise MotcError("MOT201", error.filename, error.strerror)
        try:
            self.manifest = json.loads(raw)
        except ValueError:
            raise MotcError("MOT621", directory, "not valid JSON")
        manifest = self.manifest
        if not isinstance(manifest, dict) or manifest.get("format") != "motc-dataset":
            raise MotcError("MOT621", directory, 'format is not "motc-dataset"')
        if manifest.get("version") != 1:
            raise MotcError("MOT621", directory, f"version {manifest.get('version')}")
        for name in ("train", "val"):
            if name not in manifest.get("splits", {}):
                raise MotcError("MOT621", directory, f"no {name} split")
        # The dataset's identity: a run records it and --resume refuses another dataset.
        self.fingerprint = hashlib.sha256(raw).hexdigest()
        dtype = np.dtype({"uint16": "<u2", "uint32": "<u4"}[manifest["dtype"]])
        self.train, self.val = (TokenStream(directory, name, manifest["splits"][name], dtype, manifest["vocab"]) for name in ("train", "val"))


def batch_starts(seed, step, tokens, context, batch):
    """The window starts of update step (1-based) over a split of the given number of
    tokens: batch draws of motc's Random(seed, "data.batch.<step>").index(tokens - context)."""
    random = Random(seed, f"data.batch.{step}")
    return [random.index(tokens - context) for _ in range(batch)]


def evaluation_batches(val, context, batch):
    """The evaluation set: the first min(8·batch, (tokens - 1) // context) windows of the
    val split, at starts 0, context, 2·context, …, in batches of batch (the last may be smaller)."""
    windows = min(8 * batch, (val.tokens - 1) // context)
    starts = [i * context for i in range(windows)]
    return [starts[i : i + batch] for i in range(0, windows, batch)]


def unigram_entropy(stream, limit=1 << 28):
    """Entropy (nats) of the split's token frequencies: the loss of a model that ignores
    context. None for a split over limit tokens (counting them is not worth the wait)."""
    if stream.tokens == 0 or stream.tokens > limit:
        return None
    counts = np.zeros(0, dtype=np.int64)
    for shard in stream.shards:
        for start in range(0, len(shard), 1 << 24):
            chunk = np.bincount(shard[start : start + (1 << 24)])
            if len(chunk) > len(counts):
                counts = np.pad(counts, (0, len(chunk) - len(counts)))
            counts[: len(chunk)] += chunk
    p = counts[counts > 0] / stream.tokens
    return float(-(p * np.log(p)).sum())
`;
