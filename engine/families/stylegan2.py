"""The StyleGAN2 family: capabilities and operations over :mod:`engine.models.stylegan2`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from engine.families.base import Capabilities, LoadedModel, MappedW, ModelFamily, WSpace
from engine.models.stylegan2 import Generator, StyleGAN2Config, resolutions


def preview_resolutions(cfg: StyleGAN2Config | Any) -> tuple[int, ...]:
    """The resolutions below the top one of a skip generator (a config or a synthesis network), 8 and up."""
    res = cfg.block_resolutions if hasattr(cfg, "block_resolutions") else resolutions(cfg.resolution)
    return tuple(r for r in res[:-1] if r >= 8)


class StyleGAN2Model(MappedW, LoadedModel[StyleGAN2Config]):
    """A StyleGAN2 generator with W space, truncation, style mixing and per-layer noise."""

    module: Generator

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
            w_space=WSpace(w_dim=cfg.w_dim, num_ws=cfg.num_ws, has_w_avg=True),
            noise_layers=cfg.num_layers,
            preview_resolutions=preview_resolutions(cfg),
        )

    def synthesize(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        noise_strengths: Sequence[float] | None = None,
        noise_seed: int | None = None,
        preview: int | None = None,
    ) -> torch.Tensor:
        """ws → images; ``preview`` (one of ``capabilities.preview_resolutions``): the RGB the skip
        generator has accumulated at that resolution, without the blocks above it."""
        if preview is not None and int(preview) not in preview_resolutions(self.module.synthesis):
            raise ValueError(f"no preview at {preview} px (previews: {preview_resolutions(self.module.synthesis)})")
        return self.module.synthesis(
            ws,
            noise_mode=noise_mode,
            noise_strengths=noise_strengths,
            noise_seed=noise_seed,
            max_resolution=None if preview is None else int(preview),
        )

    def generate(self, z: torch.Tensor, c: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
        psi = float(kwargs.pop("psi", 1.0))
        cutoff = kwargs.pop("cutoff", None)
        ws = self.map(z, c, psi=psi, cutoff=cutoff)
        return self.synthesize(ws, **kwargs)

    def latent_weights(self) -> list[tuple[int, torch.Tensor]]:
        """Style affines of the synthesis conv layers (layer i reads ws[:, i]); ToRGB is left out, as in SeFa."""
        return [
            (i, layer.affine.weight * layer.affine.weight_gain) for i, layer in enumerate(self.module.synthesis.layers)
        ]

    def layer_names(self) -> list[str]:
        blocks = self.module.synthesis.blocks
        return [f"b{b.resolution}.{n}" for b in blocks for n in ("conv0", "conv1") if getattr(b, n) is not None]

    def layer_module(self, name: str) -> nn.Module:
        for b in self.module.synthesis.blocks:
            for n in ("conv0", "conv1"):
                if name == f"b{b.resolution}.{n}" and getattr(b, n) is not None:
                    return getattr(b, n)
        raise ValueError(f"{self.family} model has no layer {name!r}")


FAMILY = ModelFamily(
    name="stylegan2",
    description="StyleGAN2: mapping network, modulated/demodulated convs, noise, skip generator",
    config_cls=StyleGAN2Config,
    module_cls=Generator,
    model_cls=StyleGAN2Model,
    tiny=StyleGAN2Config(resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channels=(16, 16, 8)),
)
