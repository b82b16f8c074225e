"""The StyleGAN3 family (configs T and R): capabilities and operations over :mod:`engine.models.stylegan3`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.api import NOISE_MODES
from engine.families.base import Capabilities, LoadedModel, MappedW, ModelFamily, WSpace
from engine.input_transform import InputTransform, as_matrix
from engine.models.stylegan3 import Generator, StyleGAN3Config

Transform = InputTransform | torch.Tensor | np.ndarray


class StyleGAN3Model(MappedW, LoadedModel[StyleGAN3Config]):
    """A StyleGAN3 generator: W space (truncation, style mixing), an input transform, no noise."""

    module: Generator

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        classes = tuple(self.meta.get("classes") or (f"class {i}" for i in range(cfg.c_dim)))
        syn = self.module.synthesis
        rates = (int(syn.input.sampling_rate), *(layer.spec.out_sampling_rate for layer in syn.layers))
        return Capabilities(
            family=self.family,
            task="conditional" if cfg.c_dim > 0 else "unconditional",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=cfg.z_dim,
            classes=classes,
            w_space=WSpace(w_dim=cfg.w_dim, num_ws=cfg.num_ws, has_w_avg=True, layer_resolutions=rates),
            noise_layers=None,
            input_transform=True,
        )

    @property
    def architecture(self) -> str:
        """The configuration in the paper's terms, for ``latentlab info``."""
        variant = self.config.variant
        if variant == "t":
            return "StyleGAN3-T (config T: 3x3 convolutions, translation equivariant)"
        if variant == "r":
            return "StyleGAN3-R (config R: 1x1 convolutions, radial filters, rotation equivariant)"
        return f"StyleGAN3 (custom: {self.config.conv_kernel}x{self.config.conv_kernel} convolutions)"

    def synthesize(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        noise_strengths: Sequence[float] | None = None,
        noise_seed: int | None = None,
        transform: Transform | None = None,
    ) -> torch.Tensor:
        """ws → images. StyleGAN3 has no noise inputs: ``noise_mode`` is checked and otherwise has no
        effect, ``noise_strengths`` must be None or empty.

        ``transform`` (an :class:`InputTransform`, or the input matrix [3, 3] / [N, 3, 3]) translates
        and rotates the output for this call (a render request carries it as its
        :class:`~engine.api.Transform` part). Without it, the stored ``synthesis.input.transform``
        applies (the identity in released models)."""
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if noise_strengths:
            raise ValueError("StyleGAN3 has no noise layers (noise_strengths must be empty)")
        m = None if transform is None else as_matrix(transform, self.device)
        return self.module.synthesis(ws, transform=m)

    def generate(self, z: torch.Tensor, c: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
        psi = float(kwargs.pop("psi", 1.0))
        cutoff = kwargs.pop("cutoff", None)
        ws = self.map(z, c, psi=psi, cutoff=cutoff)
        return self.synthesize(ws, **kwargs)

    @staticmethod
    def input_transform(translate: tuple[float, float] = (0.0, 0.0), rotate: float = 0.0) -> InputTransform:
        """The transform that moves the image by ``translate`` (x, y, in image widths) and rotates it by
        ``rotate`` degrees, as NVlabs' gen_images.py / visualizer take them."""
        return InputTransform(float(translate[0]), float(translate[1]), float(rotate))

    def latent_weights(self) -> list[tuple[int, torch.Tensor]]:
        """Style affines of the alias-free layers (layer i reads ws[:, i + 1]); the input's rotation/
        translation affine and ToRGB are left out, as in SeFa."""
        layers = self.module.synthesis.layers
        return [(i + 1, layer.affine.weight * layer.affine.weight_gain) for i, layer in enumerate(layers[:-1])]

    def layer_names(self) -> list[str]:
        return ["input", *self.module.synthesis.layer_names[:-1]]

    def layer_module(self, name: str) -> nn.Module:
        syn = self.module.synthesis
        if name == "input":
            return syn.input
        for layer in syn.layers[:-1]:
            if layer.spec.name == name:
                return layer
        raise ValueError(f"{self.family} model has no layer {name!r}")


FAMILY = ModelFamily(
    name="stylegan3",
    description="StyleGAN3 (alias-free, configs T and R): Fourier-feature input, filtered nonlinearities, no noise",
    config_cls=StyleGAN3Config,
    module_cls=Generator,
    model_cls=StyleGAN3Model,
    tiny=StyleGAN3Config(
        resolution=16,
        z_dim=16,
        w_dim=16,
        mapping_layers=2,
        channel_base=256,
        channel_max=16,
        num_layers=4,
        num_critical=1,
        margin_size=2,
        d_channels=(16, 16, 8),
    ),
)
