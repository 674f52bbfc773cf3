// Mixture of Tokens (SEMANTICS.md, "mot") as a PyTorch module. Every group
// and every expert runs in the same batched matmuls, with no Python loop; with
// c = T·groups cells (one per position and group of G rows):
//   h [B, T, d] → cells [c, G, d]; w = softmax over G of logits / τ, [c, G, E]
//   mix:    m [c, E, d] = wᵀ @ h
//   expert: y [E, c, d] = act(m @ w1 [E, d, f]) @ w2 [E, f, d]   (m read as [E, c, d])
//   emit:   out [c, G, d] = w @ y                                (y read as [c, E, d])
// Position-major cells make every operand but h a strided view, not a copy.
// The leftover group (B mod G rows) is padded with zero rows whose logits are
// -inf: their weight is exactly 0, as SEMANTICS.md asks.
import type { MixtureOfTokensLayer } from "../ir/layers/mot.js";
import type { TorchLowering } from "./lowering.js";

const classSource = String.raw`
class MixtureOfTokens(nn.Module):
    """Mixture of Tokens (Antoniak et al.): experts process mixtures of a group's tokens.

    At each position the batch's rows are cut into groups of G consecutive rows
    (the last one holds the B mod G leftover rows). Per expert, a softmax over the
    group's rows of controller logits / τ gives mixing weights; the weighted sum
    of the group's tokens goes through the expert, act(m @ w1[e]) @ w2[e], and
    the same weights, not renormalised, hand the result back to every row.
    """

    prefix = "mot"

    def __init__(self, config, experts, group, expert_size, temp=1.0, learnable_temp=False, activation="relu"):
        super().__init__()
        d = config.d_model
        self.group, self.activation = group, activation
        self.controller = nn.Parameter(torch.empty(d, experts))
        self.w1 = nn.Parameter(torch.empty(experts, d, expert_size))
        self.w2 = nn.Parameter(torch.empty(experts, expert_size, d))
        # τ = exp(log_temp) when learned (starting at temp), else the constant temp.
        self.log_temp = nn.Parameter(torch.tensor(math.log(temp))) if learnable_temp else None
        self.temp = temp

    def forward(self, h):
        B, T, d = h.shape
        G = min(self.group, B)  # a batch smaller than a group is one leftover group
        groups = -(-B // G)
        tau = self.log_temp.exp() if self.log_temp is not None else self.temp
        logits = (h @ self.controller) / tau  # [B, T, E]
        if groups * G > B:  # the leftover group: zero rows, weight exactly 0
            h = F.pad(h, (0, 0, 0, 0, 0, groups * G - B))
            logits = F.pad(logits, (0, 0, 0, 0, 0, groups * G - B), value=float("-inf"))
        # One cell per position and group: [T·groups, G, ·], rows k·G … k·G + G - 1 at position t.
        cells = lambda x: x.transpose(0, 1).reshape(T * groups, G, x.shape[-1])
        weights = cells(logits).softmax(dim=1)  # over the group's rows, per expert
        mixed = weights.transpose(1, 2) @ cells(h)  # [cells, E, d]
        y = activate(self.activation, mixed.transpose(0, 1) @ self.w1) @ self.w2  # [E, cells, d]: one matmul per expert
        out = weights @ y.transpose(0, 1)  # [cells, G, d]: emitted with the same weights
        return out.view(T, groups * G, d).transpose(0, 1)[:B]
`;

export const lower: TorchLowering<MixtureOfTokensLayer> = (layer) => {
  if (layer.mixing === "hard") throw new Error(`internal: layers.${layer.index} has hard mixing, an ONNX-only lowering`);
  const temp = layer.temp.kind === "fixed" ? { temp: layer.temp.value } : { temp: layer.temp.init, learnable_temp: true };
  return {
    className: "MixtureOfTokens",
    classSource,
    args: { experts: layer.experts, group: layer.group, expert_size: layer.expertSize, ...temp, activation: layer.activation },
  };
};
