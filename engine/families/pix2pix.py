"""The pix2pix family: a U-Net generator that translates paired domains in one direction (A→B)."""

from __future__ import annotations

import torch

from engine.families.base import Capabilities, ImageInput, LoadedModel, ModelFamily
from engine.models.pix2pix import Pix2PixConfig, UnetGenerator


def check_translate_input(image: torch.Tensor, channels: int, what: str) -> None:
    """Shape check shared by the translating families: [N, channels, H, W]."""
    if image.ndim != 4 or image.shape[1] != channels:
        raise ValueError(f"{what} translates images [N, {channels}, H, W], got {tuple(image.shape)}")


def domain_names(meta: dict) -> tuple[str, ...]:
    """Names of domains A and B from a translator's metadata (``"domains"``: two names), else ()."""
    names = meta.get("domains") or ()
    ok = isinstance(names, (list, tuple)) and len(names) == 2 and all(isinstance(n, str) and n for n in names)
    return tuple(names) if ok else ()


class Pix2PixModel(LoadedModel[Pix2PixConfig]):
    """``translate(image, "AtoB")``; eval mode: batch norm uses running statistics, dropout is off."""

    module: UnetGenerator

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
                channels=cfg.input_channels,
                size=cfg.resolution,
                directions=("AtoB",),
                stride=2**cfg.num_downs,  # U-Net: every level halves the size, skips need exact halves
                bytes_per_pixel=8 * cfg.ngf,  # the skip tensors of all levels plus the outermost up level
                domains=domain_names(self.meta),
            ),
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


FAMILY = ModelFamily(
    name="pix2pix",
    description="pix2pix (Isola 2017): U-Net generator with skips, PatchGAN, GAN + L1 on paired images",
    config_cls=Pix2PixConfig,
    module_cls=UnetGenerator,
    model_cls=Pix2PixModel,
    tiny=Pix2PixConfig(resolution=32, img_channels=3, num_downs=5, ngf=4, ndf=4),
)
