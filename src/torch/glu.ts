// The gated feed-forward network of LLaMA and PaLM (SEMANTICS.md, "glu") as a
// PyTorch module.
import type { GatedFeedForwardLayer } from "../ir/layers/glu.js";
import type { TorchLowering } from "./lowering.js";

const classSource = String.raw`
class GatedFeedForward(nn.Module):
    """(act(h @ w_gate) * (h @ w_up)) @ w_down, no biases (SwiGLU with silu, GeGLU with gelu)."""

    prefix = "glu"

    def __init__(self, config, size, activation="silu"):
        super().__init__()
        d = config.d_model
        self.activation = activation
        self.w_gate = nn.Parameter(torch.empty(d, size))
        self.w_up = nn.Parameter(torch.empty(d, size))
        self.w_down = nn.Parameter(torch.empty(size, d))

    def forward(self, h):
        return (activate(self.activation, h @ self.w_gate) * (h @ self.w_up)) @ self.w_down
`;

export const lower: TorchLowering<GatedFeedForwardLayer> = (layer) => ({
  className: "GatedFeedForward",
  classSource,
  args: { size: layer.size, activation: layer.activation },
});
