"""Image reconstruction losses for inversion (projection, pSp training): pixel + multi-scale + features.

No pretrained VGG/LPIPS ships with LatentLab, so the perceptual part is built from what is bundled:

- **pixel**: mean squared error at full resolution;
- **multi-scale**: L1 on an average-pooled pyramid (½, ¼, … down to 8 px) and L1 on image gradients
  (finite differences) at each level, which weighs structure and edges over flat colour error;
- **features** (optional): an LPIPS-style distance on the conv stages of a bundled feature network,
  channel-normalised activations compared with MSE. For 1×32×32 models (Fashion-MNIST) this is the
  bundled ``fmnist-classifier`` (see :func:`bundled_feature_net`); RGB models use pixel + multi-scale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LossWeights:
    """Weights of the reconstruction terms (``min_size``: the smallest pyramid level, in pixels)."""

    pixel: float = 1.0
    multiscale: float = 1.0
    gradient: float = 0.5
    features: float = 0.1
    min_size: int = 8


def _gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]


class FeatureDistance(nn.Module):
    """LPIPS-like distance over the stages of a conv feature network (a ``Sequential`` body).

    Activations after each ReLU-maxpool stage are unit-normalised along channels and compared with
    MSE, averaged over stages. The network's weights are frozen.
    """

    def __init__(self, body: nn.Sequential, channels: int, resolution: int) -> None:
        super().__init__()
        self.body = body.eval().requires_grad_(False)
        self.channels, self.resolution = channels, resolution

    def accepts(self, x: torch.Tensor) -> bool:
        return x.shape[1] == self.channels and x.shape[2] == x.shape[3] == self.resolution

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-image distance [N]."""
        total = x.new_zeros(x.shape[0])
        stages = 0
        for layer in self.body:
            x, y = layer(x), layer(y)
            if isinstance(layer, nn.MaxPool2d):
                xn = x / (x.square().sum(dim=1, keepdim=True) + 1e-10).sqrt()
                yn = y / (y.square().sum(dim=1, keepdim=True) + 1e-10).sqrt()
                total = total + (xn - yn).square().sum(dim=1).mean(dim=(1, 2))
                stages += 1
        return total / max(1, stages)


def bundled_feature_net(channels: int, resolution: int) -> FeatureDistance | None:
    """The bundled Fashion-MNIST classifier as a :class:`FeatureDistance` for 1×32×32 images, else None.

    Built outside inference mode, so it can be differentiated through on the engine thread.
    """
    from engine import zoo
    from engine.metrics.classifier import load_classifier

    with torch.inference_mode(False):
        try:
            path = zoo.feature_network("fmnist-classifier")
        except LookupError:
            return None
        net, _ = load_classifier(path)
        cfg = net.config
        if (cfg.channels, cfg.resolution) != (channels, resolution):
            return None
        body = net.body
        for m in body:
            if isinstance(m, nn.ReLU):
                m.inplace = False
        return FeatureDistance(body, cfg.channels, cfg.resolution)


class ReconstructionLoss(nn.Module):
    """``weights.pixel·MSE + weights.multiscale·Σ_levels L1 + weights.gradient·Σ_levels L1(∇) (+ features)``.

    ``forward(x, target)`` returns the per-image loss [N]; both are [N, C, H, W] in [-1, 1].
    """

    def __init__(self, weights: LossWeights | None = None, features: FeatureDistance | None = None) -> None:
        super().__init__()
        self.weights = weights or LossWeights()
        self.features = features

    def terms(self, x: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """The unweighted terms, each per image [N]."""
        if x.shape != target.shape or x.ndim != 4:
            raise ValueError(f"image {tuple(x.shape)} and target {tuple(target.shape)} must be equal NCHW shapes")
        out = {"pixel": (x - target).square().mean(dim=(1, 2, 3))}
        ms = x.new_zeros(x.shape[0])
        grad = x.new_zeros(x.shape[0])
        a, b = x, target
        levels = 0
        while True:
            if levels > 0:
                ms = ms + (a - b).abs().mean(dim=(1, 2, 3))
            (ay, ax), (by, bx) = _gradients(a), _gradients(b)
            grad = grad + (ay - by).abs().mean(dim=(1, 2, 3)) + (ax - bx).abs().mean(dim=(1, 2, 3))
            levels += 1
            if min(a.shape[2:]) // 2 < self.weights.min_size:
                break
            a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
        out["multiscale"] = ms / max(1, levels - 1)
        out["gradient"] = grad / levels
        if self.features is not None and self.features.accepts(x):
            out["features"] = self.features(x, target)
        return out

    def forward(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        w = self.weights
        total = x.new_zeros(x.shape[0])
        for name, value in self.terms(x, target).items():
            total = total + getattr(w, name) * value
        return total


__all__ = ["FeatureDistance", "LossWeights", "ReconstructionLoss", "bundled_feature_net"]
