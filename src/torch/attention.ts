// Multi-head self-attention (SEMANTICS.md, "attention") as a PyTorch module.
// Parameters stay in SEMANTICS.md's [in, out] layout (`h @ wq`), so a
// checkpoint's tensors load without a transpose. PyTorch 2's fused
// scaled_dot_product_attention runs where it exists (flash attention on
// CUDA); PyTorch 1.13 takes the written-out softmax.
import type { AttentionLayer } from "../ir/layers/attention.js";
import type { TorchLowering } from "./lowering.js";

const classSource = String.raw`
class Attention(nn.Module):
    """softmax(q kᵀ / √dh + mask) v per head, heads concatenated, then @ wo.

    q = h @ wq (+ bq), and so on; head j owns channels j·dh … (j+1)·dh - 1.
    """

    prefix = "attn"

    def __init__(self, config, heads, causal=True, bias=False):
        super().__init__()
        d = config.d_model
        self.heads, self.causal = heads, causal
        self.wq, self.wk, self.wv, self.wo = (nn.Parameter(torch.empty(d, d)) for _ in range(4))
        if bias:
            self.bq, self.bk, self.bv, self.bo = (nn.Parameter(torch.zeros(d)) for _ in range(4))
        else:
            self.bq = self.bk = self.bv = self.bo = None

    def forward(self, h):
        B, T, d = h.shape
        split = lambda x: x.view(B, T, self.heads, d // self.heads).transpose(1, 2)  # [B, heads, T, dh]
        q, k, v = split(affine(h, self.wq, self.bq)), split(affine(h, self.wk, self.bk)), split(affine(h, self.wv, self.bv))
        if hasattr(F, "scaled_dot_product_attention"):  # PyTorch 2: fused kernels
            y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        else:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            if self.causal:  # a query sees the keys at its position and before
                mask = torch.ones(T, T, dtype=torch.bool, device=h.device).triu(1)
                scores = scores.masked_fill(mask, float("-inf"))
            y = scores.softmax(dim=-1) @ v
        return affine(y.transpose(1, 2).reshape(B, T, d), self.wo, self.bo)
`;

export const lower: TorchLowering<AttentionLayer> = (layer) => ({
  className: "Attention",
  classSource,
  args: { heads: layer.heads, causal: layer.causal, bias: layer.bias },
});
