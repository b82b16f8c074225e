"""Progressive GAN training (Karras et al. 2018): WGAN-GP with drift, growth by fade-in, G EMA.

The growth schedule is a pure function of the number of images seen (:func:`schedule`): level 0
(4×4) trains for ``stable_images``; each next level fades in over ``fade_images`` (alpha 0 → 1,
in G, in D, and in the real images, which are blended with their 2× down-and-up-sampled copy)
and then trains stably for ``stable_images``. The last level trains on for the rest of the run.
Because the phase comes from ``nimg`` alone, which is saved with the trainer's state, a run
resumed in the middle of a fade continues exactly where it stopped. The batch size is the same
at every level.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from engine.families import get_family
from engine.families.pggan import PGGANModel
from engine.models.pggan import Discriminator, Generator, PGGANConfig, level_resolution
from training.augment import diff_augment, parse_policy
from training.ema import ema_update
from training.freeze_d import frozen_ids, trainable
from training.losses import gradient_penalty
from training.trainers.base import Batch, Trainer, TrainerSpec


@dataclass(frozen=True)
class PGGANHparams:
    """Optimisation and growth settings (defaults from the paper: Adam 1e-3, β (0, 0.99), λ 10, ε 0.001)."""

    lr: float = 0.001
    betas: tuple[float, float] = (0.0, 0.99)
    gp_lambda: float = 10.0
    drift: float = 0.001
    stable_images: int = 600_000
    fade_images: int = 600_000
    ema_beta: float = 0.999
    diffaugment: str = ""
    """DiffAugment policy for every image D sees, at the level's size (see :mod:`training.augment`)."""
    freeze_d: int = 0
    """FreezeD: keep the top level's fromRGB and the N − 1 highest-resolution D blocks fixed."""

    def __post_init__(self) -> None:
        if self.stable_images < 1 or self.fade_images < 1:
            raise ValueError("stable_images and fade_images must be ≥ 1")
        parse_policy(self.diffaugment)


def schedule(nimg: int, num_levels: int, stable_images: int, fade_images: int) -> tuple[int, float]:
    """(level, alpha) after ``nimg`` training images: 4×4 stable, then per level fade-in then stable."""
    t = nimg - stable_images
    if t < 0:
        return 0, 1.0
    period = fade_images + stable_images
    level = 1 + t // period
    if level > num_levels - 1:
        return num_levels - 1, 1.0
    within = t % period
    return level, min(1.0, within / fade_images)


def nimg_at(level: int, alpha: float, stable_images: int, fade_images: int) -> int:
    """The fewest images after which :func:`schedule` is at (``level``, ``alpha``) (inverse of schedule)."""
    if level == 0:
        return 0
    return stable_images + (level - 1) * (fade_images + stable_images) + math.ceil(alpha * fade_images)


def real_at_level(images: torch.Tensor, level: int, alpha: float) -> torch.Tensor:
    """Real images down-sampled (average pooling) to ``level``'s size, faded with their blurrier copy."""
    size = level_resolution(level)
    factor = images.shape[-1] // size
    if factor * size != images.shape[-1]:
        raise ValueError(f"images of size {images.shape[-1]} cannot be pooled to {size}")
    x = F.avg_pool2d(images, factor) if factor > 1 else images
    if level > 0 and alpha < 1.0:
        low = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")
        x = low + (x - low) * alpha
    return x


class PGGANTrainer(Trainer):
    family = "pggan"

    def __init__(self, cfg: PGGANConfig, hp: PGGANHparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = Generator(cfg).to(device).train()
        self.D = Discriminator(cfg).to(device).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=hp.lr, betas=hp.betas, eps=1e-8)
        d_params = trainable(self.D.parameters(), frozen_ids(self.discriminator_layers(), hp.freeze_d))
        self.opt_D = torch.optim.Adam(d_params, lr=hp.lr, betas=hp.betas, eps=1e-8)
        self.augment = parse_policy(hp.diffaugment)
        self.nimg = 0
        self._mark_trained()

    def discriminator_layers(self) -> list[torch.nn.Module]:
        """D's layers from the image side at the top level: its fromRGB, then the blocks down to 8×8."""
        return [self.D.fromrgb[-1], *reversed(self.D.blocks)]

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D, "G_ema": self.G_ema}

    def after_init(self, source: str) -> dict[str, Any]:
        """Continue the growth schedule at the level (and fade) the loaded generator was trained to."""
        level, alpha = int(self.G_ema.trained_level), float(self.G_ema.trained_alpha)
        self.nimg = nimg_at(level, alpha, self.hp.stable_images, self.hp.fade_images)
        self._mark_trained()
        return {"level": level, "alpha": alpha}

    def phase(self) -> tuple[int, float]:
        """The (level, alpha) the next step trains at."""
        return schedule(self.nimg, self.cfg.num_levels, self.hp.stable_images, self.hp.fade_images)

    def _mark_trained(self) -> None:
        level, alpha = self.phase()
        for g in (self.G, self.G_ema):
            g.set_trained(level, alpha)

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor | float]:
        hp = self.hp
        level, alpha = self.phase()
        real = real_at_level(batch["image"].to(self.device), level, alpha)
        n = real.shape[0]

        # Critic: WGAN-GP plus the drift term ε·D(real)².
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        with torch.no_grad():
            fake = self.G(torch.randn(n, self.cfg.z_dim, device=self.device), level, alpha)
        if self.augment:  # D (and the gradient penalty) see augmented images only
            real, fake = diff_augment(real, self.augment), diff_augment(fake, self.augment)
        d_real = self.D(real, level, alpha)
        d_fake = self.D(fake, level, alpha)
        gp = gradient_penalty(lambda x, _c: self.D(x, level, alpha), real, fake, None)
        d_loss = d_fake.mean() - d_real.mean() + hp.gp_lambda * gp + hp.drift * d_real.square().mean()
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_D.step()

        # Generator.
        self.D.requires_grad_(False)
        self.G.requires_grad_(True)
        fake = self.G(torch.randn(n, self.cfg.z_dim, device=self.device), level, alpha)
        g_loss = -self.D(diff_augment(fake, self.augment) if self.augment else fake, level, alpha).mean()
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()

        ema_update(self.G_ema, self.G, hp.ema_beta)
        self.nimg += n
        self._mark_trained()
        return {"G": g_loss.detach(), "D": d_loss.detach(), "D_gp": gp.detach(), "level": level, "alpha": alpha}

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "nimg": self.nimg,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.nimg = int(state["nimg"])
        self._mark_trained()

    def export_model(self) -> PGGANModel:
        ema = copy.deepcopy(self.G_ema).cpu().eval()
        return get_family("pggan").wrap(ema, self.cfg)


TRAINER = TrainerSpec(
    name="pggan",
    trainer_cls=PGGANTrainer,
    hparams_cls=PGGANHparams,
    losses=("wgan-gp",),  # + drift
)
