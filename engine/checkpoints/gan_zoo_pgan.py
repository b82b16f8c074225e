"""facebookresearch/pytorch_GAN_zoo ``ProgressiveGAN`` generators as LatentLab ``pggan`` models.

GAN zoo's equalised layers compute ``(W x + b) * sqrt(2 / fan_in)`` (the bias is scaled too, and
toRGB has the gain √2 as well); ours compute ``(W * gain / sqrt(fan_in)) x + b`` with gain √2 for
convs and 1 for toRGB, so weights are rescaled by ``sqrt(2) / gain`` and biases by
``sqrt(2 / fan_in)`` on load. GAN zoo's ``alpha`` is the weight of the OLD (lower) level; ours is
the weight of the new one, so ``alpha_ours = 1 - alpha_zoo``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.families import LoadedModel, get_family
from engine.models.pggan import PGGANConfig, level_resolution


def zoo_alpha_to_ours(alpha_zoo: float) -> float:
    """GAN zoo's fade weight of the old level → LatentLab's weight of the new level."""
    return 1.0 - float(alpha_zoo)


def _scale(w: torch.Tensor) -> float:
    return math.sqrt(2.0 / math.prod(w.shape[1:]))


def load_pgan(path: Path, sd: Mapping[str, torch.Tensor], config: Any) -> LoadedModel:
    """A GAN zoo ``ProgressiveGAN`` generator (``GNet``) as a LatentLab ``pggan`` model."""

    def need(key: str) -> torch.Tensor:
        if key not in sd:
            raise CheckpointError(path, f"GAN zoo PGAN generator lacks {key}")
        return sd[key]

    fmt = need("formatLayer.module.weight")  # [16 * C0, z]
    z_dim = int(fmt.shape[1])
    c0 = int(need("groupScale0.0.module.weight").shape[0])
    if fmt.shape[0] != 16 * c0:
        raise CheckpointError(path, f"formatLayer has {fmt.shape[0]} outputs, expected 16 x {c0}")
    scales = sorted({int(m.group(1)) for k in sd if (m := re.fullmatch(r"scaleLayers\.(\d+)\.0\.module\.weight", k))})
    if scales != list(range(len(scales))):
        raise CheckpointError(path, "GAN zoo PGAN generator: scaleLayers are not numbered 0..N")
    channels = [c0] + [int(sd[f"scaleLayers.{i}.0.module.weight"].shape[0]) for i in scales]
    rgb = need(f"toRGBLayers.{len(channels) - 1}.module.weight")
    img_channels = int(rgb.shape[0])
    category_dim = int(getattr(config, "categoryVectorDim", 0) or 0)
    if category_dim:
        raise CheckpointError(path, "conditional GAN zoo PGAN generators (categoryVectorDim > 0) are not supported")
    if getattr(config, "perChannelNormalization", True) is False or getattr(config, "equalizedlR", True) is False:
        raise CheckpointError(path, "only GAN zoo PGANs with pixel norm and equalised lr are supported")
    leak = float(getattr(config, "leakyReluLeak", 0.2))
    if leak != 0.2:
        raise CheckpointError(path, f"GAN zoo PGAN with leaky ReLU slope {leak} (only 0.2 is supported)")
    depth0 = getattr(config, "depthScale0", None)
    if depth0 is not None and int(depth0) != c0:
        raise CheckpointError(path, f"config says depthScale0={depth0} but the tensors say {c0}")
    levels = len(channels)
    cfg = PGGANConfig(
        resolution=level_resolution(levels - 1), img_channels=img_channels, z_dim=z_dim, channels=tuple(channels)
    )
    family = get_family("pggan")
    module = family.build(cfg)
    sqrt2 = math.sqrt(2.0)

    def layer(src: str, gain: float) -> tuple[torch.Tensor, torch.Tensor]:
        w, b = need(f"{src}.module.weight"), need(f"{src}.module.bias")
        return w * (sqrt2 / gain), b * _scale(w)

    pairs = {"fc": layer("formatLayer", sqrt2), "conv4.conv": layer("groupScale0.0", sqrt2)}
    for i in range(1, levels):
        for j in (0, 1):
            pairs[f"blocks.{i - 1}.conv{j}.conv"] = layer(f"scaleLayers.{i - 1}.{j}", sqrt2)
    for i in range(levels):
        pairs[f"torgb.{i}"] = layer(f"toRGBLayers.{i}", 1.0)
    own = module.state_dict()
    full: dict[str, torch.Tensor] = {}
    for prefix, (w, b) in pairs.items():
        for name, t in ((f"{prefix}.weight", w), (f"{prefix}.bias", b)):
            if tuple(t.shape) != tuple(own[name].shape):
                raise CheckpointError(path, f"{prefix} has shape {tuple(t.shape)}, expected {tuple(own[name].shape)}")
            full[name] = t.to(own[name].dtype)
    full["trained_level"] = torch.tensor(levels - 1, dtype=torch.int64)
    full["trained_alpha"] = torch.tensor(zoo_alpha_to_ours(float(getattr(config, "alpha", 0.0) or 0.0)))
    module.load_state_dict(full, strict=True)
    return family.wrap(module, cfg, {"source_family": "GAN zoo PGAN", "classes": []})


__all__ = ["load_pgan", "zoo_alpha_to_ours"]
