"""StyleGAN (v1) training: non-saturating logistic loss, R1, style-mixing regularisation, G EMA.

The same optimisation as the StyleGAN2 trainer (whose step it reuses) minus path-length
regularisation, which StyleGAN2 introduced. Training is at a fixed resolution: the progressive
growing of the original StyleGAN is not used (the paper's results hold without it, as
StyleGAN2 showed, and PGGAN is where growth is demonstrated).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from engine.families import get_family
from engine.families.stylegan import StyleGANModel
from engine.models.stylegan import Discriminator, Generator, StyleGANConfig
from training.trainers.base import TrainerSpec
from training.trainers.stylegan2 import StyleGAN2Hparams, StyleGAN2Trainer


@dataclass(frozen=True)
class StyleGANHparams(StyleGAN2Hparams):
    """StyleGAN v1 defaults: Adam 1e-3 β (0, 0.99), R1 γ 10 every step, mixing 0.9, no path length."""

    lr: float = 0.001
    r1_gamma: float = 10.0
    r1_interval: int = 1
    pl_weight: float = 0.0
    pl_interval: int = 0

    def __post_init__(self) -> None:
        if self.pl_weight != 0:
            raise ValueError("StyleGAN v1 has no path-length regularisation (pl_weight must be 0)")


class StyleGANTrainer(StyleGAN2Trainer):
    family = "stylegan"

    def __init__(self, cfg: StyleGANConfig, hp: StyleGANHparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = Generator(cfg).to(device).train()
        self.D = Discriminator(cfg).to(device).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_G = self._adam(self.G, 0)
        self.opt_D = self._adam(self.D, hp.r1_interval if hp.r1_interval > 1 else 0)
        self.pl_mean = torch.zeros([], device=device)
        self.nimg = 0

    def discriminator_layers(self) -> list[torch.nn.Module]:
        """fromRGB, then D's conv pair of each resolution from the image side (FreezeD)."""
        return [self.D.fromrgb, *self.D.convs]

    def export_model(self) -> StyleGANModel:  # type: ignore[override]
        ema = copy.deepcopy(self.G_ema).cpu().eval()
        return get_family("stylegan").wrap(ema, self.cfg)


TRAINER = TrainerSpec(
    name="stylegan",
    trainer_cls=StyleGANTrainer,
    hparams_cls=StyleGANHparams,
    losses=("nonsaturating",),  # + R1
)
