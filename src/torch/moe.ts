// Sparse Mixture of Experts (SEMANTICS.md, "moe") as PyTorch modules: token
// choice (Switch / top-k, with training capacity and the load-balancing loss)
// and expert choice. Routing is computed for all tokens at once; the experts
// then run as one batched matmul over E fixed-size slot tables (a token choice
// expert's capacity, an expert choice expert's picks), so no Python loop runs
// over experts. Conventions where SEMANTICS.md leaves a choice are those of
// test/reference/moe.ts and the other lowerings: ties go to the lower expert
// (token choice) or the lower row (expert choice); token choice's capacity is
// first come first served in token order n = b·T + t.
import type { MixtureOfExpertsLayer } from "../ir/layers/moe.js";
import { rowsPerExpert } from "../ir/layers/moe.js";
import type { TorchLowering } from "./lowering.js";

const tokenChoice = String.raw`
class TokenChoiceMoE(nn.Module):
    """Each token goes to its topk experts by router probability p (Switch / top-k).

    p = softmax over experts of h @ router; a token adds p[e] · expert_e(h) for each
    expert it goes to. In training an expert takes at most ceil(capacity · N · topk / E)
    of the batch's N tokens, first come first served in token order (the rest skip
    it), and self.aux_loss = aux_loss · E · Σ_e frac_e · mean(p_e), frac_e being the
    share of the N · topk choices that picked e, before any was dropped.
    """

    prefix = "moe"

    def __init__(self, config, experts, topk=1, capacity=1.25, expert_size=None, activation="relu", aux_loss=0.01):
        super().__init__()
        d, f = config.d_model, expert_size
        self.topk, self.capacity, self.activation, self.aux_weight = topk, capacity, activation, aux_loss
        self.router = nn.Parameter(torch.empty(d, experts))
        self.w1 = nn.Parameter(torch.empty(experts, d, f))
        self.w2 = nn.Parameter(torch.empty(experts, f, d))
        self.aux_loss = None

    def forward(self, h):
        B, T, d = h.shape
        tokens = h.reshape(B * T, d)  # token n = b·T + t
        N, E = tokens.shape[0], self.router.shape[1]
        probs = (tokens @ self.router).float().softmax(dim=-1)  # [N, E]
        # Each token's topk experts, best first: a stable sort keeps the lower expert first on ties.
        expert = probs.sort(dim=-1, descending=True, stable=True).indices[:, : self.topk].reshape(-1)
        token = torch.arange(N, device=h.device).repeat_interleave(self.topk)
        # A choice's place in its expert's queue: the earlier choices (in token order) of the same expert.
        chosen = F.one_hot(expert, E)  # [N·topk, E]
        place = (chosen.cumsum(dim=0) - 1).gather(1, expert[:, None]).squeeze(1)
        if self.training:
            capacity = math.ceil(self.capacity * N * self.topk / E)
            kept = place < capacity
            token, expert, place = token[kept], expert[kept], place[kept]
        else:  # at inference no token is dropped
            capacity = int(place.max()) + 1
        slot = expert * capacity + place  # expert e's choices fill rows e·capacity, e·capacity + 1, …
        x = tokens.new_zeros(E * capacity, d).index_copy(0, slot, tokens[token])
        y = activate(self.activation, x.view(E, capacity, d) @ self.w1) @ self.w2  # [E, capacity, d]
        gate = probs[token, expert].to(y.dtype)[:, None]
        out = torch.zeros_like(tokens, dtype=y.dtype).index_add(0, token, y.view(E * capacity, d)[slot] * gate)
        if self.training and self.aux_weight > 0:
            frac = chosen.sum(dim=0).float() / (N * self.topk)
            self.aux_loss = self.aux_weight * E * (frac * probs.mean(dim=0)).sum()
        return out.view(B, T, d)
`;

const expertChoice = String.raw`
class ExpertChoiceMoE(nn.Module):
    """Each expert takes its best rows of every group (expert choice).

    At each position the batch's rows are cut into groups of G, as in
    MixtureOfTokens; p = softmax over experts of h @ router; expert e takes the
    k = ceil(capacity · G / E) rows of each group with the highest p[·, e] (ties:
    the lower row; a leftover group of r < G rows gives min(k, r)) and adds
    p[b, e] · expert_e(h[b]) to each row it took.
    """

    prefix = "moe"

    def __init__(self, config, experts, group, rows_per_expert, expert_size=None, activation="relu"):
        super().__init__()
        d, f = config.d_model, expert_size
        self.group, self.rows_per_expert, self.activation = group, rows_per_expert, activation
        self.router = nn.Parameter(torch.empty(d, experts))
        self.w1 = nn.Parameter(torch.empty(experts, d, f))
        self.w2 = nn.Parameter(torch.empty(experts, f, d))

    def forward(self, h):
        B, T, d = h.shape
        E = self.router.shape[1]
        G = min(self.group, B)  # a batch smaller than a group is one leftover group
        groups = -(-B // G)
        k = min(self.rows_per_expert, G)
        probs = (h @ self.router).float().softmax(dim=-1)  # [B, T, E]
        # Padding rows: zero tokens, gate 0, and ranked below every real row (p ≥ 0 > -1).
        padding = (0, 0, 0, 0, 0, groups * G - B)
        h, gates, ranks = F.pad(h, padding), F.pad(probs, padding), F.pad(probs, padding, value=-1.0)
        # Expert e's picks in group g at position t, best first (a stable sort: ties → the lower row).
        pick = ranks.view(groups, G, T, E).sort(dim=1, descending=True, stable=True).indices[:, :k]
        row = (pick + G * torch.arange(groups, device=h.device)[:, None, None, None]).permute(3, 0, 1, 2)  # [E, groups, k, T]
        position = torch.arange(T, device=h.device).expand_as(row)
        expert = torch.arange(E, device=h.device)[:, None, None, None].expand_as(row)
        x = h[row, position].reshape(E, -1, d)  # [E, groups·k·T, d]
        y = activate(self.activation, x @ self.w1) @ self.w2
        gate = gates[row, position, expert].reshape(E, -1, 1).to(y.dtype)
        out = h.new_zeros(groups * G * T, d, dtype=y.dtype).index_add(0, (row * T + position).reshape(-1), (y * gate).reshape(-1, d))
        return out.view(groups * G, T, d)[:B]
`;

export const lower: TorchLowering<MixtureOfExpertsLayer> = (layer) => {
  const common = { experts: layer.experts };
  if (layer.routing === "token_choice") {
    return {
      className: "TokenChoiceMoE",
      classSource: tokenChoice,
      args: { ...common, topk: layer.topk, capacity: layer.capacity, expert_size: layer.expertSize, activation: layer.activation, aux_loss: layer.auxLoss },
      auxLoss: layer.auxLoss > 0,
    };
  }
  return {
    className: "ExpertChoiceMoE",
    classSource: expertChoice,
    args: { ...common, group: layer.group, rows_per_expert: rowsPerExpert(layer), expert_size: layer.expertSize, activation: layer.activation },
  };
};
