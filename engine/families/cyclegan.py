"""The CycleGAN family: ResNet generators for one or both directions between two unpaired domains."""

from __future__ import annotations

import torch

from engine.families.base import Capabilities, ImageInput, LoadedModel, ModelFamily
from engine.families.pix2pix import check_translate_input, domain_names
from engine.models.cyclegan import CycleGANConfig, CycleGANGenerators


class CycleGANModel(LoadedModel[CycleGANConfig]):
    """``translate(image, direction)`` with direction in ``capabilities.image_input.directions``."""

    module: CycleGANGenerators

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        return Capabilities(
            family=self.family,
            task="image-to-image",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=0,
            image_input=ImageInput(
                channels=cfg.img_channels,
                size=cfg.resolution,
                directions=cfg.directions,
                stride=2**cfg.n_downsampling,  # ResNet generator: convolutions and residual blocks only
                bytes_per_pixel=12 * cfg.ngf,  # ~3 float tensors of ngf channels at full size at once
                domains=domain_names(self.meta),
            ),
        )

    def translate(
        self, image: torch.Tensor, direction: str | None = None, target: torch.Tensor | None = None
    ) -> torch.Tensor:
        cfg = self.config
        if target is not None:
            raise ValueError("cyclegan takes a direction, not a target domain")
        direction = cfg.directions[0] if direction is None else direction
        if direction not in cfg.directions:
            raise ValueError(f"this cyclegan model translates {', '.join(cfg.directions)}, not {direction!r}")
        check_translate_input(image, cfg.img_channels, "cyclegan")
        return self.module(image.to(self.device), direction)


FAMILY = ModelFamily(
    name="cyclegan",
    description="CycleGAN (Zhu 2017): ResNet generators A→B and B→A, LSGAN + cycle + identity losses",
    config_cls=CycleGANConfig,
    module_cls=CycleGANGenerators,
    model_cls=CycleGANModel,
    tiny=CycleGANConfig(resolution=16, img_channels=3, ngf=4, n_blocks=2, ndf=4),
)
