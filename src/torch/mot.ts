// Mixture of Tokens (SEMANTICS.md, "mot") as a PyTorch module. Every group
// and every expert runs in the same batched matmuls, with no Python loop:
//   h [B, T, d] → cells [groups, T, G, d] (one cell per group and position)
//   mix:    m [groups, T, E, d] = wᵀ [groups, T, E, G] @ h [groups, T, G, d]
//   expert: y [E, groups·T, d] = act(m @ w1 [E, d, f]) @ w2 [E, f, d]
//   emit:   out [groups, T, G, d] = w [groups, T, G, E] @ y [groups, T, E, d]
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
        E = logits.shape[-1]
        if groups * G > B:  # the leftover group: zero rows, weight exactly 0
            h = F.pad(h, (0, 0, 0, 0, 0, groups * G - B))
            logits = F.pad(logits, (0, 0, 0, 0, 0, groups * G - B), value=float("-inf"))
        tokens = h.view(groups, G, T, d).transpose(1, 2)  # [groups, T, G, d]
        weights = logits.view(groups, G, T, E).transpose(1, 2).softmax(dim=2)  # over the group's rows
        mixed = weights.transpose(2, 3) @ tokens  # [groups, T, E, d]
        x = mixed.view(groups * T, E, d).transpose(0, 1)  # [E, groups·T, d]: one matmul per expert
        y = activate(self.activation, x @ self.w1) @ self.w2
        out = weights @ y.transpose(0, 1).view(groups, T, E, d)  # [groups, T, G, d]
        return out.transpose(1, 2).reshape(groups * G, T, d)[:B]
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
