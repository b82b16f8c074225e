"""The original fully connected GAN family (and CGAN when ``c_dim > 0``)."""

from __future__ import annotations

from typing import Any

from torch import nn

from engine.families.base import ModelFamily
from engine.families.generator import GeneratorModel
from engine.models.mlp_gan import MLPGANConfig, MLPGenerator


class MLPGANModel(GeneratorModel):
    family = "gan"


class MLPGANFamily(ModelFamily):
    name = "gan"
    description = "Original fully connected GAN (Goodfellow 2014); conditional = CGAN (Mirza & Osindero 2014)"
    config_cls = MLPGANConfig

    def build(self, config: MLPGANConfig) -> nn.Module:
        return MLPGenerator(config)

    def wrap(self, module: nn.Module, config: MLPGANConfig, meta: dict[str, Any] | None = None) -> MLPGANModel:
        return MLPGANModel(module, config, meta)

    def tiny_config(self) -> MLPGANConfig:
        return MLPGANConfig(resolution=8, z_dim=8, c_dim=3, g_hidden=(16, 32), d_hidden=(32, 16))


FAMILY = MLPGANFamily()
