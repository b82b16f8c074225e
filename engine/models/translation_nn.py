"""Layers shared by the image-to-image networks: norm choice and per-image instance norm."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

NORMS = ("batch", "instance", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """The norm of pytorch-CycleGAN-and-pix2pix's ``get_norm_layer``.

    ``batch``: BatchNorm2d(affine, running stats); ``instance``: InstanceNorm2d without affine
    parameters or running stats; ``none``: identity.
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def conv_bias(kind: str) -> bool:
    """Whether convolutions followed by norm ``kind`` carry a bias (upstream: only for instance norm)."""
    return kind == "instance"


class StatInstanceNorm2d(nn.InstanceNorm2d):
    """Affine instance norm that keeps running statistics (StarGAN's layer) but can ignore them.

    ``use_running = False`` (default) normalises with each image's own statistics in eval mode
    too, which is what StarGAN's test script computes (it never calls ``eval()``). Running
    statistics are still updated while training, so the tensors match StarGAN's checkpoints.
    """

    use_running: bool = False

    def __init__(self, channels: int) -> None:
        super().__init__(channels, affine=True, track_running_stats=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training or not self.use_running:
            track = self.training
            return F.instance_norm(
                x,
                self.running_mean if track else None,
                self.running_var if track else None,
                self.weight,
                self.bias,
                True,
                self.momentum if self.momentum is not None else 0.1,
                self.eps,
            )
        return super().forward(x)


def init_normal(module: nn.Module, gain: float = 0.02) -> None:
    """pix2pix/CycleGAN's ``init_weights('normal')``: conv N(0, gain), BN weight N(1, gain), biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)


def check_image(x: torch.Tensor, channels: int, multiple: int, what: str) -> None:
    """Shape check at a network's entry: [N, channels, H, W] with H and W multiples of ``multiple``."""
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{what} expects images [N, {channels}, H, W], got {tuple(x.shape)}")
    if x.shape[2] % multiple or x.shape[3] % multiple:
        raise ValueError(f"{what} needs height and width divisible by {multiple}, got {tuple(x.shape[2:])}")
