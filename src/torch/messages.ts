// The messages of the PyTorch engine (MOT7xx): what train.py can fail with,
// baked into it so that it prints the same text under the same code as motc,
// and what motc's launcher adds. `{0}`, `{1}` … are filled in in order, by
// Python's str.format in train.py and by motc's formatter.
export const TORCH_MESSAGES = {
  // train.py: data
  MOT702: { text: "{0}" },
  MOT703: { text: "the train split has {0} tokens, too few for a batch of {1} windows of {2} tokens (it needs at least {3})" },
  MOT704: { text: "the val split has {0} tokens, fewer than one evaluation window of {1}" },
  MOT705: { text: "the dataset's vocabulary ({0}, {1}) is larger than model '{2}''s vocab of {3}" },
  // train.py: the run's shape and devices
  MOT710: { text: "the batch of {0} rows does not split into {1} ranks × {2} micro-batches (--accumulate)" },
  MOT711: { text: "--fsdp needs PyTorch 2 or later (this is PyTorch {0})" },
  MOT712: { text: "--dtype bf16 runs on CUDA only (this run is on {0})" },
  MOT713: { text: "--device cuda, but PyTorch {0} sees no CUDA device" },
  // train.py: checkpoints and resuming
  MOT720: { text: "{0} already holds a checkpoint: pass --resume to continue it, or remove it / choose another --out" },
  MOT721: { text: "{0}: no checkpoint to resume (pass no --resume to start afresh)" },
  MOT722: { text: "{0}: cannot resume: the checkpoint was trained with {1} {2}, this run has {3}" },
  MOT723: { text: "{0}: the checkpoint was trained from a different definition of model '{1}' (its layers or sizes changed)" },
  MOT724: { text: "{0}" },
  MOT725: { text: "--resume continues the run in --out; --resume-from starts a new one from other weights: pass one of them" },
  // train.py: the run itself
  MOT730: { text: "the loss became {0} at step {1} (gradient norm {2}); training stopped, {3}" },
  MOT731: { text: "interrupted at step {0}: checkpoint saved to {1} (continue with --resume)", exit: 130 },
} as const;

export type TorchMessageCode = keyof typeof TORCH_MESSAGES;
