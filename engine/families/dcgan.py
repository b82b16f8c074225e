"""The DCGAN family: also conditional DCGAN and the WGAN-CP / WGAN-GP generators (same architecture)."""

from __future__ import annotations

from engine.families.base import ModelFamily
from engine.families.generator import GeneratorModel
from engine.models.dcgan import DCGANConfig, DCGANGenerator

FAMILY = ModelFamily(
    name="dcgan",
    description="DCGAN (Radford 2016): transposed-conv generator; also CGAN, WGAN-CP and WGAN-GP generators",
    config_cls=DCGANConfig,
    module_cls=DCGANGenerator,
    model_cls=GeneratorModel,
    tiny=DCGANConfig(resolution=16, img_channels=3, z_dim=8, ngf=8, ndf=8),
)
