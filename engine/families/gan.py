"""The original fully connected GAN family (and CGAN when ``c_dim > 0``)."""

from __future__ import annotations

from engine.families.base import ModelFamily
from engine.families.generator import GeneratorModel
from engine.models.mlp_gan import MLPGANConfig, MLPGenerator

FAMILY = ModelFamily(
    name="gan",
    description="Original fully connected GAN (Goodfellow 2014); conditional = CGAN (Mirza & Osindero 2014)",
    config_cls=MLPGANConfig,
    module_cls=MLPGenerator,
    model_cls=GeneratorModel,
    tiny=MLPGANConfig(resolution=8, z_dim=8, c_dim=3, g_hidden=(16, 32), d_hidden=(32, 16)),
)
