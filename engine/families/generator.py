"""A latent-to-image generator without a W space (GAN, CGAN, DCGAN, WGAN): the shared LoadedModel."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import torch
from torch import nn

from engine.families.base import Capabilities, LoadedModel


class GeneratorConfig(Protocol):
    """What :class:`GeneratorModel` reads from its family's config."""

    resolution: int
    img_channels: int
    z_dim: int
    c_dim: int


GC = TypeVar("GC", bound=GeneratorConfig)


class GeneratorModel(LoadedModel[GC]):
    """Wraps a generator module ``G(z, c) -> images``; its config has resolution, img_channels, z_dim, c_dim.

    Conditional models (``c_dim > 0``) take one-hot labels; their class names come from the
    checkpoint's meta (``"classes"``), else ``class 0``, ``class 1``, ….
    """

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        names = list(self.meta.get("classes") or [])
        classes = tuple(names) if len(names) == cfg.c_dim else tuple(f"class {i}" for i in range(cfg.c_dim))
        return Capabilities(
            family=self.family,
            task="conditional" if cfg.c_dim > 0 else "unconditional",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=cfg.z_dim,
            classes=classes,
        )

    def generate(self, z: torch.Tensor, c: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
        if kwargs:
            raise ValueError(f"{self.family} takes no options {sorted(kwargs)}")
        if self.config.c_dim > 0 and c is None:
            c = self.one_hot(None, z.shape[0])
        return self.module(z.to(self.device), None if c is None else c.to(self.device))

    def latent_weights(self) -> list[tuple[int, torch.Tensor]]:
        return [(0, self.module.latent_weight())]

    def layer_names(self) -> list[str]:
        return list(self.module.layers())

    def layer_module(self, name: str) -> nn.Module:
        layers = self.module.layers()
        if name not in layers:
            raise ValueError(f"{self.family} model has no layer {name!r}")
        return layers[name]
