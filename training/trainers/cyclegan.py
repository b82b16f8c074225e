"""CycleGAN training (Zhu et al. 2017) on unpaired domains A and B.

Least-squares GAN losses for G_A: A→B (judged by D_A against real B) and G_B: B→A (D_B against
real A); cycle consistency λ_cycle·(‖G_B(G_A(a)) − a‖₁ + ‖G_A(G_B(b)) − b‖₁) with λ_cycle = 10; identity
λ_cycle·λ_id·(‖G_A(b) − b‖₁ + ‖G_B(a) − a‖₁) with λ_id = 0.5; discriminators trained on a 50-image
replay buffer of fakes, halved loss; Adam(2e-4, β (0.5, 0.999)) with linear decay to 0.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from engine.families import LoadedModel, get_family
from engine.models.cyclegan import DIRECTIONS, CycleGANConfig
from engine.models.pix2pix import PatchDiscriminator
from training.augment import diff_augment, parse_policy
from training.freeze_d import conv_layers, frozen_ids, trainable
from training.losses import target_least_squares as _ls
from training.trainers.base import Batch, Trainer, TrainerSpec
from training.trainers.translation_common import ImagePool, apply_decay, linear_decay
from training.translation_eval import translation_rows


@dataclass(frozen=True)
class CycleGANHparams:
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    pool_size: int = 50
    decay_start: int = 0
    decay_steps: int = 0
    diffaugment: str = ""
    """DiffAugment policy for every image D_A and D_B see (single images: the domains are unpaired)."""
    freeze_d: int = 0
    """FreezeD: keep the first N conv layers of both PatchGANs (from the image side) fixed."""

    def __post_init__(self) -> None:
        parse_policy(self.diffaugment)


class CycleGANTrainer(Trainer):
    family = "cyclegan"
    init_optional = ("generators.AtoB.", "generators.BtoA.")
    """A one-direction source (``latest_net_G_A.pth`` alone) leaves the other generator fresh."""
    sample_columns: ClassVar[int] = 4

    def __init__(self, cfg: CycleGANConfig, hp: CycleGANHparams, device: torch.device) -> None:
        if tuple(cfg.directions) != DIRECTIONS:
            raise ValueError(f"CycleGAN training needs both directions {DIRECTIONS}, got {cfg.directions}")
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = get_family("cyclegan").build(cfg).to(device).train()
        c = cfg.img_channels
        self.D_A = PatchDiscriminator(c, cfg.ndf, cfg.d_layers, cfg.norm).to(device).train()
        self.D_B = PatchDiscriminator(c, cfg.ndf, cfg.d_layers, cfg.norm).to(device).train()
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=hp.lr, betas=hp.betas)
        frozen = frozen_ids(conv_layers(self.D_A.model), hp.freeze_d) | frozen_ids(
            conv_layers(self.D_B.model), hp.freeze_d
        )
        d_params = trainable([*self.D_A.parameters(), *self.D_B.parameters()], frozen)
        self.augment = parse_policy(hp.diffaugment)
        self.opt_D = torch.optim.Adam(d_params, lr=hp.lr, betas=hp.betas)
        self.decay = linear_decay(hp.decay_start, hp.decay_steps)
        self.pool_A, self.pool_B = ImagePool(hp.pool_size), ImagePool(hp.pool_size)
        self.fixed: Batch | None = None
        self.domain_names: tuple[str, ...] = ()

    def attach_data(self, dataset: Any) -> None:
        self.fixed = dataset.fixed(4)
        self.domain_names = tuple(getattr(dataset, "domain_names", ()))

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D_A": self.D_A, "D_B": self.D_B}

    def generator_networks(self) -> tuple[str, ...]:
        return ("G",)

    def _aug(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.augment) if self.augment else x

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        apply_decay([self.opt_G, self.opt_D], [self.hp.lr, self.hp.lr], self.decay(step))
        hp = self.hp
        a, b = batch["A"].to(self.device), batch["B"].to(self.device)
        g_a, g_b = self.G.generators["AtoB"], self.G.generators["BtoA"]
        # generators
        fake_b, fake_a = g_a(a), g_b(b)
        rec_a, rec_b = g_b(fake_b), g_a(fake_a)
        self.D_A.requires_grad_(False)
        self.D_B.requires_grad_(False)
        loss_gan = _ls(self.D_A(self._aug(fake_b)), True) + _ls(self.D_B(self._aug(fake_a)), True)
        self.D_A.requires_grad_(True)
        self.D_B.requires_grad_(True)
        loss_cycle = F.l1_loss(rec_a, a) + F.l1_loss(rec_b, b)
        loss_g = loss_gan + hp.lambda_cycle * loss_cycle
        losses: dict[str, torch.Tensor] = {"G_GAN": loss_gan.detach(), "cycle": loss_cycle.detach()}
        if hp.lambda_identity > 0:
            loss_idt = F.l1_loss(g_a(b), b) + F.l1_loss(g_b(a), a)
            loss_g = loss_g + hp.lambda_cycle * hp.lambda_identity * loss_idt
            losses["identity"] = loss_idt.detach()
        self.opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_G.step()
        # discriminators on the replay buffers
        pb, pa = self.pool_B.query(fake_b), self.pool_A.query(fake_a)
        loss_da = 0.5 * (_ls(self.D_A(self._aug(b)), True) + _ls(self.D_A(self._aug(pb)), False))
        loss_db = 0.5 * (_ls(self.D_B(self._aug(a)), True) + _ls(self.D_B(self._aug(pa)), False))
        self.opt_D.zero_grad(set_to_none=True)
        (loss_da + loss_db).backward()
        self.opt_D.step()
        losses.update(D_A=loss_da.detach(), D_B=loss_db.detach(), loss_G=loss_g.detach())
        return losses

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D_A": self.D_A.state_dict(),
            "D_B": self.D_B.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "pool_A": self.pool_A.state_dict(),
            "pool_B": self.pool_B.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D_A.load_state_dict(state["D_A"])
        self.D_B.load_state_dict(state["D_B"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.pool_A.load_state_dict(state["pool_A"], self.device)
        self.pool_B.load_state_dict(state["pool_B"], self.device)

    def export_model(self) -> LoadedModel:
        return get_family("cyclegan").wrap(
            copy.deepcopy(self.G).cpu(), self.cfg, {"classes": [], "domains": list(self.domain_names)}
        )

    def sample(self, seeds: list[int]) -> torch.Tensor:
        """Rows of fixed training inputs and their translations (see ``translation_rows``; seeds unused)."""
        if self.fixed is None:
            raise RuntimeError("attach_data must run before sample")
        images, _ = translation_rows(self.export_model(), self.fixed, getattr(self, "exclusive", True))
        return images


TRAINER = TrainerSpec(
    name="cyclegan",
    trainer_cls=CycleGANTrainer,
    hparams_cls=CycleGANHparams,
    data_kind="unpaired",
    losses=("lsgan",),  # + cycle and identity L1
    checkpoint_metrics=False,
)
