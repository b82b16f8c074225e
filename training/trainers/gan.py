"""Classic GAN training for the ``gan`` (fully connected) and ``dcgan`` architectures.

One trainer, four objectives (DESIGN §2: families are architectures, a loss is a training choice):

- ``nonsaturating`` (default): D minimises BCE on real/fake; G maximises log D(G(z)) — the
  non-saturating form the source notes recommend, because log(1 − D(G(z))) has vanishing
  gradients exactly when G is bad and D rejects its samples confidently.
- ``minimax``: G minimises log(1 − D(G(z))), the original game (kept for comparison).
- ``wgan-cp``: WGAN with weight clipping (Arjovsky et al. 2017): critic without sigmoid,
  parameters clipped to ±``clip`` after each critic step, RMSprop(5e-5), ``n_critic`` = 5.
- ``wgan-gp``: WGAN-GP (Gulrajani et al. 2017): gradient penalty λ·(‖∇D(x̂)‖ − 1)² on random
  interpolates x̂, Adam(1e-4, β = (0, 0.9)), ``n_critic`` = 5; the critic must not use batch norm.

A *step* is one discriminator/critic update on one batch; the generator is updated after every
``n_critic``-th step. Conditional models (``c_dim > 0``) feed the batch's labels to both networks.
The exported generator re-estimates its batch-norm statistics with the final weights ("precise
BN"), so eval-mode samples match what the generator produced during training.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.families import LoadedModel, get_family
from engine.models.dcgan import DCGANConfig, DCGANDiscriminator
from engine.models.mlp_gan import MLPDiscriminator, MLPGANConfig
from training.augment import diff_augment, parse_policy
from training.data import DataError, ImageDataset
from training.ema import ema_update
from training.freeze_d import frozen_ids, trainable
from training.losses import (
    d_logistic,
    g_minimax,
    g_nonsaturating,
    g_wasserstein,
    gradient_penalty,
    wasserstein_distance,
)
from training.trainers.base import Batch, Trainer, TrainerSpec


def _d_logistic(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    stats = {"D_real": torch.sigmoid(real).mean().detach(), "D_fake": torch.sigmoid(fake).mean().detach()}
    return d_logistic(real, fake), stats


def _d_wasserstein(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    w_dist = wasserstein_distance(real, fake)
    return -w_dist, {"wasserstein": w_dist.detach()}


@dataclass(frozen=True)
class GANObjective:
    """One objective of the loss table: D's loss (and what it logs) from real/fake logits, G's loss from
    fake logits, the critic's regulariser, and the optimiser defaults the objective's paper used."""

    d_loss: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    optimizer: str
    lr: float
    betas: tuple[float, float]
    n_critic: int
    gradient_penalty: bool = False
    """Add ``gp_lambda`` × the WGAN-GP gradient penalty to D's loss."""
    clip_weights: bool = False
    """Clip D's (trainable) parameters to ±``clip`` after each critic step (WGAN-CP)."""


OBJECTIVES: dict[str, GANObjective] = {
    "nonsaturating": GANObjective(_d_logistic, g_nonsaturating, "adam", 2e-4, (0.5, 0.999), 1),
    "minimax": GANObjective(_d_logistic, g_minimax, "adam", 2e-4, (0.5, 0.999), 1),
    "wgan-cp": GANObjective(_d_wasserstein, g_wasserstein, "rmsprop", 5e-5, (0.5, 0.999), 5, clip_weights=True),
    "wgan-gp": GANObjective(_d_wasserstein, g_wasserstein, "adam", 1e-4, (0.0, 0.9), 5, gradient_penalty=True),
}
"""The loss table: objective name (``GANHparams.loss``) → its losses and defaults."""
LOSSES = tuple(OBJECTIVES)


@dataclass(frozen=True)
class GANHparams:
    """Training choices; ``None`` takes the default of the chosen ``loss`` (see ``OBJECTIVES``)."""

    loss: str = "nonsaturating"
    optimizer: str | None = None
    lr: float | None = None
    lr_d: float | None = None
    betas: tuple[float, float] | None = None
    n_critic: int | None = None
    clip: float = 0.01
    gp_lambda: float = 10.0
    ema_beta: float = 0.0
    precise_bn_batches: int = 32
    diffaugment: str = ""
    """DiffAugment policy for every image D sees (see :mod:`training.augment`)."""
    freeze_d: int = 0
    """FreezeD: keep D's first N layers (from the image side) fixed."""

    def __post_init__(self) -> None:
        if self.loss not in OBJECTIVES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.optimizer not in (None, "adam", "rmsprop"):
            raise ValueError(f"optimizer must be adam or rmsprop, got {self.optimizer!r}")
        if self.n_critic is not None and self.n_critic < 1:
            raise ValueError("n_critic must be at least 1")
        if not 0.0 <= self.ema_beta < 1.0:
            raise ValueError("ema_beta must be in [0, 1)")
        parse_policy(self.diffaugment)

    @property
    def objective(self) -> GANObjective:
        return OBJECTIVES[self.loss]

    def resolved(self, name: str) -> Any:
        value = getattr(self, name)
        return getattr(self.objective, name) if value is None else value


class GANTrainer(Trainer):
    """GAN / CGAN / DCGAN / WGAN-CP / WGAN-GP training of a ``gan`` or ``dcgan`` family model."""

    @classmethod
    def from_config(cls, family: str, model: dict[str, Any], hp: Any, device: torch.device) -> GANTrainer:
        return cls(family, get_family(family).config_from_dict(model), hp, device)

    def __init__(self, family: str, cfg: MLPGANConfig | DCGANConfig, hp: GANHparams, device: torch.device) -> None:
        self.family, self.cfg, self.hp, self.device = family, cfg, hp, device
        fam = get_family(family)
        if hp.objective.gradient_penalty and isinstance(cfg, DCGANConfig) and cfg.d_norm == "batch":
            raise ValueError("wgan-gp needs a critic without batch norm (set model d_norm to 'layer' or 'none')")
        self.G = fam.build(cfg).to(device).train()
        disc = DCGANDiscriminator if isinstance(cfg, DCGANConfig) else MLPDiscriminator
        self.D = disc(cfg).to(device).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if hp.ema_beta > 0 else None
        self.frozen = frozen_ids(self.discriminator_layers(), hp.freeze_d)
        self.augment = parse_policy(hp.diffaugment)
        self.opt_G = self._optimizer(self.G.parameters(), hp.resolved("lr"))
        d_params = trainable(self.D.parameters(), self.frozen)
        self.opt_D = self._optimizer(d_params, hp.lr_d if hp.lr_d is not None else hp.resolved("lr"))
        self.n_critic = int(hp.resolved("n_critic"))
        self.class_names: tuple[str, ...] = ()

    def _optimizer(self, params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
        if self.hp.resolved("optimizer") == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        return torch.optim.Adam(params, lr=lr, betas=tuple(self.hp.resolved("betas")))

    def discriminator_layers(self) -> list[nn.Module]:
        """D's layers from the image side, decision layer excluded (FreezeD freezes the first ``freeze_d``)."""
        d = self.D
        if isinstance(d, DCGANDiscriminator):
            return [d.input, *(nn.ModuleList([down, norm]) for down, norm in zip(d.downs, d.norms))]
        first = nn.ModuleList([d.fcs[0], d.label]) if d.label is not None else d.fcs[0]
        return [first, *d.fcs[1:]]

    def networks(self) -> dict[str, nn.Module]:
        nets = {"G": self.G, "D": self.D}
        return nets if self.G_ema is None else {**nets, "G_ema": self.G_ema}

    def _d(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """D's logits for ``x`` after the DiffAugment policy (if any)."""
        return self.D(diff_augment(x, self.augment) if self.augment else x, c)

    def attach_data(self, dataset: ImageDataset) -> None:
        if self.cfg.c_dim > 0:
            n = len(dataset.class_names)
            if n != self.cfg.c_dim:
                raise DataError(f"the model has {self.cfg.c_dim} classes but the data has {n}")
            self.class_names = dataset.class_names

    def _labels(self, batch: Batch) -> torch.Tensor | None:
        if self.cfg.c_dim == 0:
            return None
        return F.one_hot(batch["label"].to(self.device), self.cfg.c_dim).float()

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        hp, objective = self.hp, self.hp.objective
        real = batch["image"].to(self.device)
        c = self._labels(batch)
        n = real.shape[0]
        z = torch.randn(n, self.cfg.z_dim, device=self.device)
        # --- discriminator / critic
        with torch.no_grad():
            fake = self.G(z, c)
        if self.augment:  # D (and the gradient penalty) see augmented images only
            real, fake = diff_augment(real, self.augment), diff_augment(fake, self.augment)
        loss_d, losses = objective.d_loss(self.D(real, c), self.D(fake, c))
        if objective.gradient_penalty:
            gp = gradient_penalty(self.D, real, fake, c)
            loss_d = loss_d + hp.gp_lambda * gp
            losses["gp"] = gp.detach()
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_D.step()
        if objective.clip_weights:
            with torch.no_grad():
                for p in trainable(self.D.parameters(), self.frozen):
                    p.clamp_(-hp.clip, hp.clip)
        losses["loss_D"] = loss_d.detach()
        # --- generator, every n_critic steps
        if (step + 1) % self.n_critic == 0:
            z = torch.randn(n, self.cfg.z_dim, device=self.device)
            self.D.requires_grad_(False)
            logits = self._d(self.G(z, c), c)
            self.D.requires_grad_(True)
            loss_g = objective.g_loss(logits)
            self.opt_G.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_G.step()
            losses["loss_G"] = loss_g.detach()
            if self.G_ema is not None:
                ema_update(self.G_ema, self.G, hp.ema_beta)
        return losses

    def state_dict(self) -> dict[str, Any]:
        state = {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "class_names": list(self.class_names),
        }
        if self.G_ema is not None:
            state["G_ema"] = self.G_ema.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        if self.G_ema is not None:
            self.G_ema.load_state_dict(state["G_ema"])
        self.class_names = tuple(state.get("class_names", ()))

    @torch.no_grad()
    def _precise_bn(self, g: nn.Module) -> None:
        """Replace batch-norm running statistics by exact averages over fresh generator batches."""
        norms = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms or self.hp.precise_bn_batches <= 0:
            return
        saved = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average
        g.train()
        gen = torch.Generator(device="cpu").manual_seed(1234)
        for i in range(self.hp.precise_bn_batches):
            z = torch.randn(128, self.cfg.z_dim, generator=gen).to(self.device)
            c = None
            if self.cfg.c_dim > 0:
                idx = torch.arange(128) % self.cfg.c_dim
                c = F.one_hot(idx.roll(i), self.cfg.c_dim).float().to(self.device)
            g(z, c)
        for m, mom in zip(norms, saved):
            m.momentum = mom
        g.eval()

    def export_model(self) -> LoadedModel:
        g = copy.deepcopy(self.G_ema if self.G_ema is not None else self.G)
        self._precise_bn(g)
        meta = {"classes": list(self.class_names)} if self.class_names else {}
        return get_family(self.family).wrap(g.cpu().eval().requires_grad_(False), self.cfg, meta)


def _declare(name: str) -> TrainerSpec:
    return TrainerSpec(
        name=name,
        trainer_cls=GANTrainer,
        hparams_cls=GANHparams,
        data_kind="images",
        conditional_data_kind="labelled",
        losses=LOSSES,
        loss_field="loss",
    )


GAN = _declare("gan")
DCGAN = _declare("dcgan")
