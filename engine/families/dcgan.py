"""The DCGAN family: also conditional DCGAN and the WGAN-CP / WGAN-GP generators (same architecture)."""

from __future__ import annotations

from typing import Any

from torch import nn

from engine.families.base import ModelFamily
from engine.families.generator import GeneratorModel
from engine.models.dcgan import DCGANConfig, DCGANGenerator


class DCGANModel(GeneratorModel):
    family = "dcgan"


class DCGANFamily(ModelFamily):
    name = "dcgan"
    description = "DCGAN (Radford 2016): transposed-conv generator; also CGAN, WGAN-CP and WGAN-GP generators"
    config_cls = DCGANConfig

    def build(self, config: DCGANConfig) -> nn.Module:
        return DCGANGenerator(config)

    def wrap(self, module: nn.Module, config: DCGANConfig, meta: dict[str, Any] | None = None) -> DCGANModel:
        return DCGANModel(module, config, meta)

    def tiny_config(self) -> DCGANConfig:
        return DCGANConfig(resolution=16, img_channels=3, z_dim=8, ngf=8, ndf=8)


FAMILY = DCGANFamily()
