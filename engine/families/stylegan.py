"""The StyleGAN (v1) family: the same W-space operations as StyleGAN2, over an AdaIN generator."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from engine.families.base import Capabilities, ModelFamily, WSpace
from engine.families.stylegan2 import StyleGAN2Model
from engine.models.stylegan import Generator, StyleGANConfig


class StyleGANModel(StyleGAN2Model):
    """A StyleGAN v1 generator: W space, truncation, style mixing and per-layer noise.

    Unlike StyleGAN2 there are as many noise layers as style layers (two per resolution, the
    first on the constant input); the capabilities declare each layer's resolution.
    """

    module: Generator  # type: ignore[assignment]
    config: StyleGANConfig  # type: ignore[assignment]

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        classes = tuple(self.meta.get("classes") or (f"class {i}" for i in range(cfg.c_dim)))
        return Capabilities(
            family=self.family,
            task="conditional" if cfg.c_dim > 0 else "unconditional",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=cfg.z_dim,
            classes=classes,
            w_space=WSpace(w_dim=cfg.w_dim, num_ws=cfg.num_ws, has_w_avg=True, layer_resolutions=cfg.layer_resolutions),
            noise_layers=cfg.num_layers,
            noise_resolutions=cfg.layer_resolutions,
        )

    def synthesize(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        noise_strengths: Sequence[float] | None = None,
        noise_seed: int | None = None,
        preview: int | None = None,
    ) -> torch.Tensor:
        """ws → images. A v1 generator has no skip RGB, so no preview path (its capabilities declare none)."""
        if preview is not None:
            raise ValueError(f"{self.family} models have no preview resolutions (asked for {preview} px)")
        return self.module.synthesis(ws, noise_mode=noise_mode, noise_strengths=noise_strengths, noise_seed=noise_seed)

    def layer_names(self) -> list[str]:
        return list(self.module.synthesis.layer_modules())

    def layer_module(self, name: str) -> nn.Module:
        """The module whose output is layer ``name`` (one of :meth:`layer_names`)."""
        return self.module.synthesis.layer_modules()[name]

    def latent_weights(self) -> list[tuple[int, torch.Tensor]]:
        """The AdaIN style affines (scale and bias rows) of each synthesis layer (layer i reads ws[:, i])."""
        return [
            (i, layer.style.weight * layer.style.weight_gain) for i, layer in enumerate(self.module.synthesis.layers)
        ]


FAMILY = ModelFamily(
    name="stylegan",
    description="StyleGAN (v1): mapping network, AdaIN, learned constant, per-layer noise, blurred up-sampling",
    config_cls=StyleGANConfig,
    module_cls=Generator,
    model_cls=StyleGANModel,
    tiny=StyleGANConfig(resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channels=(16, 16, 8)),
)
