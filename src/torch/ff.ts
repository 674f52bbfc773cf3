// The dense feed-forward network (SEMANTICS.md, "ff") as a PyTorch module.
import type { FeedForwardLayer } from "../ir/layers/ff.js";
import type { TorchLowering } from "./lowering.js";

const classSource = String.raw`
class FeedForward(nn.Module):
    """act(h @ w1 + b1) @ w2 + b2."""

    prefix = "ff"

    def __init__(self, config, size, activation="relu"):
        super().__init__()
        d = config.d_model
        self.activation = activation
        self.w1 = nn.Parameter(torch.empty(d, size))
        self.b1 = nn.Parameter(torch.zeros(size))
        self.w2 = nn.Parameter(torch.empty(size, d))
        self.b2 = nn.Parameter(torch.zeros(d))

    def forward(self, h):
        return affine(activate(self.activation, affine(h, self.w1, self.b1)), self.w2, self.b2)
`;

export const lower: TorchLowering<FeedForwardLayer> = (layer) => ({
  className: "FeedForward",
  classSource,
  args: { size: layer.size, activation: layer.activation },
});
