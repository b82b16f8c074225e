"""The StarGAN family: one generator translating an image to any combination of target domains."""

from __future__ import annotations

import torch

from engine.families.base import Capabilities, ImageInput, LoadedModel, ModelFamily
from engine.families.pix2pix import check_translate_input
from engine.models.stargan import StarGANConfig, StarGANGenerator


class StarGANModel(LoadedModel[StarGANConfig]):
    """``translate(image, target=labels)``: labels [N, c_dim] over ``capabilities.classes``, multi-hot allowed.

    Domain names come from the checkpoint's meta (``"classes"``), else ``domain 0``, ``domain 1``, …;
    the meta's ``"exclusive_domains"`` says whether they are exclusive (one per image, as folders of
    images are) or attributes that combine (as CelebA's hair colour, sex and age); unknown = attributes.
    """

    module: StarGANGenerator

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        names = list(self.meta.get("classes") or [])
        classes = tuple(names) if len(names) == cfg.c_dim else tuple(f"domain {i}" for i in range(cfg.c_dim))
        return Capabilities(
            family=self.family,
            task="multi-domain",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=0,
            classes=classes,
            image_input=ImageInput(
                channels=cfg.img_channels,
                size=cfg.resolution,
                stride=4,  # two stride-2 convolutions down, residual blocks, two up
                bytes_per_pixel=12 * cfg.conv_dim,
                exclusive_domains=self.meta.get("exclusive_domains") is True,
            ),
        )

    def translate(
        self, image: torch.Tensor, direction: str | None = None, target: torch.Tensor | None = None
    ) -> torch.Tensor:
        cfg = self.config
        if direction is not None:
            raise ValueError("stargan takes target domain labels (target=[N, K]), not a direction")
        if target is None:
            raise ValueError(f"stargan needs target domain labels [N, {cfg.c_dim}]")
        check_translate_input(image, cfg.img_channels, "stargan")
        if target.ndim == 1:
            target = target[None].expand(image.shape[0], -1)
        if target.shape != (image.shape[0], cfg.c_dim):
            raise ValueError(f"target must be [{image.shape[0]}, {cfg.c_dim}], got {tuple(target.shape)}")
        return self.module(image.to(self.device), target.to(self.device, torch.float32))


FAMILY = ModelFamily(
    name="stargan",
    description="StarGAN (Choi 2018): one generator for many domains, WGAN-GP + domain classification",
    config_cls=StarGANConfig,
    module_cls=StarGANGenerator,
    model_cls=StarGANModel,
    tiny=StarGANConfig(resolution=16, img_channels=3, c_dim=3, conv_dim=4, repeat_num=2, d_conv_dim=4, d_repeat_num=2),
)
