"""The pix2pix family: a U-Net generator that translates paired domains in one direction (A→B)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine.families.base import Capabilities, ImageInput, LoadedModel, ModelFamily
from engine.models.pix2pix import Pix2PixConfig, UnetGenerator


def check_translate_input(image: torch.Tensor, channels: int, what: str) -> None:
    """Shape check shared by the translating families: [N, channels, H, W]."""
    if image.ndim != 4 or image.shape[1] != channels:
        raise ValueError(f"{what} translates images [N, {channels}, H, W], got {tuple(image.shape)}")


class Pix2PixModel(LoadedModel):
    """``translate(image, "AtoB")``; eval mode: batch norm uses running statistics, dropout is off."""

    family = "pix2pix"
    module: UnetGenerator

    @property
    def capabilities(self) -> Capabilities:
        cfg: Pix2PixConfig = self.config
        return Capabilities(
            family=self.family,
            task="image-to-image",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=0,
            image_input=ImageInput(channels=cfg.input_channels, size=cfg.resolution, directions=("AtoB",)),
        )

    def translate(
        self, image: torch.Tensor, direction: str | None = None, target: torch.Tensor | None = None
    ) -> torch.Tensor:
        if direction not in (None, "AtoB"):
            raise ValueError(f"pix2pix translates AtoB only, not {direction!r}")
        if target is not None:
            raise ValueError("pix2pix takes no target domain")
        check_translate_input(image, self.config.input_channels, "pix2pix")
        return self.module(image.to(self.device))


class Pix2PixFamily(ModelFamily):
    name = "pix2pix"
    description = "pix2pix (Isola 2017): U-Net generator with skips, PatchGAN, GAN + L1 on paired images"
    config_cls = Pix2PixConfig

    def build(self, config: Pix2PixConfig) -> nn.Module:
        return UnetGenerator(config)

    def wrap(self, module: nn.Module, config: Pix2PixConfig, meta: dict[str, Any] | None = None) -> Pix2PixModel:
        return Pix2PixModel(module, config, meta)

    def tiny_config(self) -> Pix2PixConfig:
        return Pix2PixConfig(resolution=32, img_channels=3, num_downs=5, ngf=4, ndf=4)


FAMILY = Pix2PixFamily()
