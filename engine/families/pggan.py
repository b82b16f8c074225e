"""The PGGAN family: a progressive generator viewable at every trained resolution level.

``generate(z, level=k, alpha=a)`` renders level ``k`` (0 → 4×4, index into
``capabilities.progressive.levels``) faded with the level below by ``alpha`` (weight of level ``k``;
1 = level ``k`` alone). By default the output is up-sampled with nearest neighbour to
``capabilities.resolution`` (so every level is shown at the display size, pixels visible);
``native=True`` returns it at the level's own size. Without ``level`` the trained state is used.
``preview=R`` (a level below the top) is level R alone at its own size: the explorer's cheap frame
while a slider moves.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.families.base import Capabilities, LoadedModel, ModelFamily, Progressive
from engine.models.pggan import Generator, PGGANConfig, level_resolution


class PGGANModel(LoadedModel[PGGANConfig]):
    """A progressive-growing generator (unconditional)."""

    module: Generator

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        level = int(self.module.trained_level)
        return Capabilities(
            family=self.family,
            task="unconditional",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=cfg.z_dim,
            progressive=Progressive(
                levels=tuple(level_resolution(i) for i in range(level + 1)),
                alpha=float(self.module.trained_alpha),
            ),
            preview_resolutions=tuple(level_resolution(i) for i in range(1, level)),
        )

    def generate(self, z: torch.Tensor, c: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
        level = kwargs.pop("level", None)
        alpha = kwargs.pop("alpha", None)
        native = bool(kwargs.pop("native", False))
        preview = kwargs.pop("preview", None)
        if kwargs:
            raise ValueError(f"pggan takes the options level, alpha, native, preview; not {sorted(kwargs)}")
        trained = int(self.module.trained_level)
        if preview is not None:  # a lower trained level on its own, at its own size
            previews = self.capabilities.preview_resolutions
            if int(preview) not in previews:
                raise ValueError(f"no preview at {preview} px (previews: {previews})")
            level, alpha, native = self.capabilities.progressive.levels.index(int(preview)), 1.0, True
        if level is not None:
            level = int(level)
            if not 0 <= level <= trained:
                raise ValueError(f"level must be a trained level 0..{trained}, got {level}")
            if alpha is None:
                alpha = float(self.module.trained_alpha) if level == trained else 1.0
        img = self.module(z.to(self.device), level, None if alpha is None else float(alpha))
        if not native and img.shape[-1] != self.config.resolution:
            img = F.interpolate(img, size=(self.config.resolution,) * 2, mode="nearest")
        return img

    def latent_weights(self) -> list[tuple[int, torch.Tensor]]:
        """The first fully connected layer's effective weight over z [C0·16, z_dim] (SeFa)."""
        fc = self.module.fc
        return [(0, fc.weight * fc.weight_gain)]

    def layer_names(self) -> list[str]:
        trained = level_resolution(int(self.module.trained_level))
        return [n for n in self.module.layer_modules() if int(n.split(".")[0][1:]) <= trained]

    def layer_module(self, name: str) -> nn.Module:
        """The module whose output is layer ``name`` (one of :meth:`layer_names`)."""
        return self.module.layer_modules()[name]


FAMILY = ModelFamily(
    name="pggan",
    description="Progressive GAN (Karras 2018): grown 4x4 upward with fade-in, pixel norm, equalised lr",
    config_cls=PGGANConfig,
    module_cls=Generator,
    model_cls=PGGANModel,
    tiny=PGGANConfig(resolution=16, z_dim=8, channels=(16, 16, 8)),
)
