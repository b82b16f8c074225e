"""The pSp family: an encoder into W+ over a StyleGAN2 decoder (:mod:`engine.models.psp_encoder`).

A pSp model encodes images into W+ and otherwise behaves as its StyleGAN2 decoder (mapping,
synthesis, truncation, noise), so every W-space tool works on encoded images.
"""

from __future__ import annotations

import torch

from engine.families.base import Capabilities, ImageInput, ModelFamily, WSpace
from engine.families.stylegan2 import StyleGAN2Model, preview_resolutions
from engine.models.psp_encoder import PSP, PSPConfig
from engine.models.stylegan2 import StyleGAN2Config


class PSPModel(StyleGAN2Model):
    """pSp: ``encode(image) -> ws`` [N, num_ws, w_dim]; ``decode(ws)`` and the W ops of the decoder."""

    module: PSP  # type: ignore[assignment]
    config: PSPConfig  # type: ignore[assignment]

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        dec = cfg.decoder
        return Capabilities(
            family=self.family,
            task="encoder",
            resolution=dec.resolution,
            channels=dec.img_channels,
            z_dim=dec.z_dim,
            w_space=WSpace(w_dim=dec.w_dim, num_ws=dec.num_ws, has_w_avg=True),
            noise_layers=dec.num_layers,
            image_input=ImageInput(channels=cfg.in_channels, size=cfg.input_size),
            encodes_into="w+",
            preview_resolutions=preview_resolutions(dec),
        )

    @property
    def latent_avg(self) -> torch.Tensor:
        """The per-layer mean code [num_ws, w_dim] added to the encoder's output."""
        return self.module.latent_avg

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """image [N, C, H, W] in [-1, 1] (resized to the encoder's input size) → ws [N, num_ws, w_dim]."""
        return self.module.encode(image.to(self.device))

    def encode_raw(self, image: torch.Tensor) -> torch.Tensor:
        """The encoder's output without ``latent_avg`` (pSp's ``net.encoder(x)``)."""
        return self.module.encode(image.to(self.device), add_latent_avg=False)

    def decode(self, latent: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """ws [N, num_ws, w_dim] → images [N, C, R, R]."""
        return self.synthesize(latent.to(self.device), noise_mode=noise_mode)


FAMILY = ModelFamily(
    name="psp",
    description="pSp encoder (IR-SE backbone, feature pyramid, map2style heads) into W+ of a StyleGAN2 decoder",
    config_cls=PSPConfig,
    module_cls=PSP,
    model_cls=PSPModel,
    tiny=PSPConfig(
        decoder=StyleGAN2Config(resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channels=(16, 16, 8)),
        input_size=16,
        stage_channels=(4, 8, 8, 16),
        stage_units=(1, 1, 1, 1),
        se_reduction=4,
    ),
)
