"""StyleGAN2 training: non-saturating logistic loss, lazy R1, path-length reg, style mixing, EMA."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from engine.families import get_family
from engine.families.stylegan2 import StyleGAN2Model
from engine.models.stylegan2 import Discriminator, Generator, StyleGAN2Config
from training.augment import diff_augment, parse_policy
from training.ema import ema_update
from training.freeze_d import frozen_ids, trainable
from training.losses import d_logistic, g_nonsaturating, path_length, r1_penalty
from training.trainers.base import Batch, Trainer, TrainerSpec


@dataclass(frozen=True)
class StyleGAN2Hparams:
    """Optimisation settings (defaults follow stylegan2-ada-pytorch's small-resolution config)."""

    lr: float = 0.0025
    betas: tuple[float, float] = (0.0, 0.99)
    r1_gamma: float = 0.05
    r1_interval: int = 16
    pl_weight: float = 2.0
    pl_interval: int = 4
    pl_batch_shrink: int = 2
    style_mixing_prob: float = 0.9
    ema_kimg: float = 10.0
    ema_rampup: float | None = 0.05
    diffaugment: str = ""
    """DiffAugment policy for everything D sees, e.g. ``"color,translation,cutout"`` (small datasets)."""
    freeze_d: int = 0
    """Keep the first N discriminator blocks (from the image side) fixed: FreezeD, for fine-tuning."""

    def __post_init__(self) -> None:
        parse_policy(self.diffaugment)
        if self.freeze_d < 0:
            raise ValueError("freeze_d must be 0 or more")


class StyleGAN2Trainer(Trainer):
    family = "stylegan2"

    def __init__(self, cfg: StyleGAN2Config, hp: StyleGAN2Hparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = Generator(cfg).to(device).train()
        self.D = Discriminator(cfg).to(device).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_G = self._adam(self.G, hp.pl_interval)
        self.opt_D = self._adam(self.D, hp.r1_interval)
        self.pl_mean = torch.zeros([], device=device)
        self.nimg = 0

    def _adam(self, net: torch.nn.Module, interval: int) -> torch.optim.Adam:
        c = interval / (interval + 1) if interval > 0 else 1.0
        b1, b2 = self.hp.betas
        params = list(net.parameters())
        if net is self.D and self.hp.freeze_d > 0:  # FreezeD: the frozen blocks get no optimiser
            params = trainable(params, frozen_ids(self.discriminator_layers(), self.hp.freeze_d))
        return torch.optim.Adam(params, lr=self.hp.lr * c, betas=(b1**c, b2**c), eps=1e-8)

    def discriminator_layers(self) -> list[torch.nn.Module]:
        """D's blocks from the image side (FreezeD freezes the first ``freeze_d``)."""
        return list(self.D.blocks)

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D, "G_ema": self.G_ema}

    @property
    def augment(self) -> tuple[str, ...]:
        return parse_policy(self.hp.diffaugment)

    def _d(self, img: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """D's logits for ``img`` after the DiffAugment policy (if any)."""
        policy = self.augment
        return self.D(diff_augment(img, policy) if policy else img, c)

    def _labels(self, n: int) -> torch.Tensor | None:
        if self.cfg.c_dim == 0:
            return None
        idx = torch.randint(0, self.cfg.c_dim, (n,), device=self.device)
        return torch.nn.functional.one_hot(idx, self.cfg.c_dim).float()

    def _mapping(self, z: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        ws = self.G.mapping(z, c, update_w_avg=True)
        if self.hp.style_mixing_prob > 0:
            n = ws.shape[1]
            cutoff = torch.empty([], dtype=torch.int64).random_(1, n)
            cutoff = torch.where(torch.rand([]) < self.hp.style_mixing_prob, cutoff, torch.full_like(cutoff, n))
            ws2 = self.G.mapping(torch.randn_like(z), c, update_w_avg=False)
            ws = ws.clone()
            ws[:, cutoff:] = ws2[:, cutoff:]
        return ws

    def _gen(self, n: int, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.randn(n, self.cfg.z_dim, device=self.device)
        ws = self._mapping(z, c)
        return self.G.synthesis(ws, noise_mode="random"), ws

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        hp = self.hp
        real = batch["image"].to(self.device)
        n = real.shape[0]
        c_real = None
        if self.cfg.c_dim > 0 and "label" in batch:
            c_real = torch.nn.functional.one_hot(batch["label"].to(self.device), self.cfg.c_dim).float()
        elif self.cfg.c_dim > 0:
            raise ValueError("a conditional StyleGAN2 needs labelled data")
        losses: dict[str, torch.Tensor] = {}

        # Generator: main loss.
        self.D.requires_grad_(False)
        self.G.requires_grad_(True)
        c_fake = self._labels(n)
        fake, _ = self._gen(n, c_fake)
        g_loss = g_nonsaturating(self._d(fake, c_fake))
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        losses["G"] = g_loss.detach()
        # Generator: lazy path-length regularisation.
        if hp.pl_weight > 0 and hp.pl_interval > 0 and step % hp.pl_interval == 0:
            m = max(1, n // hp.pl_batch_shrink)
            c_pl = self._labels(m)
            img, ws = self._gen(m, c_pl)
            pen, self.pl_mean = path_length(img, ws, self.pl_mean)
            (pen * hp.pl_weight * hp.pl_interval + img[:, 0, 0, 0].sum() * 0).backward()
            losses["G_pl"] = pen.detach()
        self.opt_G.step()

        # Discriminator: main loss.
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        with torch.no_grad():
            c_fake = self._labels(n)
            fake, _ = self._gen(n, c_fake)
        d_loss = d_logistic(self._d(real, c_real), self._d(fake, c_fake))
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        losses["D"] = d_loss.detach()
        # Discriminator: lazy R1.
        if hp.r1_gamma > 0 and hp.r1_interval > 0 and step % hp.r1_interval == 0:
            real_ = real.detach().requires_grad_(True)
            r1 = r1_penalty(self._d(real_, c_real), real_)
            (r1 * (hp.r1_gamma / 2) * hp.r1_interval).backward()
            losses["D_r1"] = r1.detach()
        self.opt_D.step()

        # EMA of the generator.
        self.nimg += n
        ema_nimg = hp.ema_kimg * 1000
        if hp.ema_rampup is not None:
            ema_nimg = min(ema_nimg, self.nimg * hp.ema_rampup)
        ema_update(self.G_ema, self.G, 0.5 ** (n / max(ema_nimg, 1e-8)))
        return losses

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "pl_mean": self.pl_mean.detach().cpu(),
            "nimg": self.nimg,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.pl_mean = state["pl_mean"].to(self.device)
        self.nimg = int(state["nimg"])

    def export_model(self) -> StyleGAN2Model:
        ema = copy.deepcopy(self.G_ema).cpu().eval()
        return get_family("stylegan2").wrap(ema, self.cfg)


TRAINER = TrainerSpec(
    name="stylegan2",
    trainer_cls=StyleGAN2Trainer,
    hparams_cls=StyleGAN2Hparams,
    losses=("nonsaturating",),  # + lazy R1 and path-length regularisation
)
