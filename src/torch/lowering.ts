// What every per-kind PyTorch lowering returns (attention.ts, ff.ts, …): the
// nn.Module class its sublayers are instances of, and the constructor call of
// this one. model.py (model.ts) writes each class once, in the order the
// classes first appear, and builds the stack from the calls; layers.ts collects
// the lowerings from the registry (src/ir/layers/index.ts).
import type { ModelIR } from "../ir/model.js";
import type { PythonValue } from "./python.js";

export interface TorchModule {
  /** The class's name, e.g. `MixtureOfTokens`. */
  className: string;
  /**
   * The class's Python source. It is the same for every sublayer of the class
   * (the sublayer's sizes are constructor arguments), and its class attribute
   * `prefix` names the parameters' prefix after `layers.i.` (SEMANTICS.md).
   */
  classSource: string;
  /** The constructor's keyword arguments after `config`, in order. */
  args: Record<string, PythonValue>;
  /** True when the module sets `self.aux_loss` in training (moe's load balancing). */
  auxLoss?: boolean;
}

/** The PyTorch lowering of one sublayer kind; each kind's file exports one as `lower`. */
export type TorchLowering<L> = (layer: L, model: ModelIR) => TorchModule;
