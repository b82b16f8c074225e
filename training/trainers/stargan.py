"""StarGAN training (Choi et al. 2018): one generator for all domains.

Critic: WGAN-GP (−D(x) + D(G(x, c′)) + λ_gp·GP, λ_gp = 10) plus domain classification of real images
λ_cls·L_cls(D_cls(x), c). Generator, every ``n_critic`` = 5 steps: −D(G(x, c′)) + λ_cls·L_cls(D_cls(G(x, c′)), c′)
+ λ_rec·‖G(G(x, c′), c) − x‖₁ (λ_rec = 10). Targets c′ are the batch's labels shuffled, as in the paper;
L_cls is binary cross-entropy summed over attributes (several may be set), or cross-entropy when every
image has exactly one domain (one folder per domain). Adam(1e-4, β (0.5, 0.999)), optional linear decay.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from engine.families import LoadedModel, get_family
from engine.models.stargan import StarGANConfig, StarGANDiscriminator
from training.augment import diff_augment, parse_policy
from training.data import DataError
from training.freeze_d import conv_layers, frozen_ids, trainable
from training.losses import gradient_penalty
from training.trainers.base import Batch, Trainer, TrainerSpec
from training.trainers.translation_common import apply_decay, linear_decay
from training.translation_eval import translation_rows


@dataclass(frozen=True)
class StarGANHparams:
    lr_g: float = 1e-4
    lr_d: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lambda_cls: float = 1.0
    lambda_rec: float = 10.0
    lambda_gp: float = 10.0
    n_critic: int = 5
    decay_start: int = 0
    decay_steps: int = 0
    diffaugment: str = ""
    """DiffAugment policy for every image D sees: ``translation`` and ``cutout`` only (see below)."""
    freeze_d: int = 0
    """FreezeD: keep D's first N convs (from the image side) fixed; its two heads always train."""

    def __post_init__(self) -> None:
        if self.n_critic < 1:
            raise ValueError("n_critic must be at least 1")
        if "color" in parse_policy(self.diffaugment):
            # D also classifies the domain of real images, and domains are often colours (hair, hue).
            raise ValueError(
                "StarGAN cannot use the color DiffAugment: colour can be what its domains differ in, which "
                "D must classify; use translation,cutout"
            )


class StarGANTrainer(Trainer):
    family = "stargan"

    def __init__(self, cfg: StarGANConfig, hp: StarGANHparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = get_family("stargan").build(cfg).to(device).train()
        self.D = StarGANDiscriminator(cfg).to(device).train()
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=hp.lr_g, betas=hp.betas)
        layers = conv_layers(self.D.main, head=False)
        self.opt_D = torch.optim.Adam(
            trainable(self.D.parameters(), frozen_ids(layers, hp.freeze_d)), lr=hp.lr_d, betas=hp.betas
        )
        self.augment = parse_policy(hp.diffaugment)
        self.decay = linear_decay(hp.decay_start, hp.decay_steps)
        self.class_names: tuple[str, ...] = ()
        self.exclusive = False
        self.fixed: Batch | None = None

    @property
    def sample_columns(self) -> int:  # type: ignore[override]
        return 1 + self.cfg.c_dim

    def attach_data(self, dataset: Any) -> None:
        if len(dataset.class_names) != self.cfg.c_dim:
            raise DataError(f"the model has {self.cfg.c_dim} domains but the data has {len(dataset.class_names)}")
        self.class_names = tuple(dataset.class_names)
        self.exclusive = bool(dataset.exclusive)
        self.fixed = dataset.fixed(4)

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D}

    def _aug(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.augment) if self.augment else x

    def _cls_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.exclusive:
            return F.cross_entropy(logits, target.argmax(1))
        return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / logits.shape[0]

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        apply_decay([self.opt_G, self.opt_D], [self.hp.lr_g, self.hp.lr_d], self.decay(step))
        hp = self.hp
        x, c_org = batch["image"].to(self.device), batch["domain"].to(self.device)
        c_trg = c_org[torch.randperm(c_org.shape[0], device=c_org.device)]
        # critic
        with torch.no_grad():
            fake = self.G(x, c_trg)
        x_d, fake_d = self._aug(x), self._aug(fake)  # D (and the gradient penalty) see augmented images only
        src_real, cls_real = self.D(x_d)
        src_fake, _ = self.D(fake_d)
        d_cls = self._cls_loss(cls_real, c_org)
        gp = gradient_penalty(lambda x, _c: self.D(x)[0], x_d, fake_d, None)
        loss_d = -src_real.mean() + src_fake.mean() + hp.lambda_cls * d_cls + hp.lambda_gp * gp
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_D.step()
        losses = {"loss_D": loss_d.detach(), "D_cls": d_cls.detach(), "gp": gp.detach()}
        # generator
        if (step + 1) % hp.n_critic == 0:
            fake = self.G(x, c_trg)
            self.D.requires_grad_(False)
            src, cls = self.D(self._aug(fake))
            self.D.requires_grad_(True)
            g_cls = self._cls_loss(cls, c_trg)
            rec = F.l1_loss(self.G(fake, c_org), x)
            loss_g = -src.mean() + hp.lambda_cls * g_cls + hp.lambda_rec * rec
            self.opt_G.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_G.step()
            losses.update(loss_G=loss_g.detach(), G_cls=g_cls.detach(), rec=rec.detach())
        return losses

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "class_names": list(self.class_names),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.class_names = tuple(state.get("class_names", ()))

    def export_model(self) -> LoadedModel:
        meta = {"classes": list(self.class_names), "exclusive_domains": bool(self.exclusive)}
        return get_family("stargan").wrap(copy.deepcopy(self.G).cpu(), self.cfg, meta)

    def sample(self, seeds: list[int]) -> torch.Tensor:
        """Rows of fixed training inputs and their translations (see ``translation_rows``; seeds unused)."""
        if self.fixed is None:
            raise RuntimeError("attach_data must run before sample")
        images, _ = translation_rows(self.export_model(), self.fixed, getattr(self, "exclusive", True))
        return images


TRAINER = TrainerSpec(
    name="stargan",
    trainer_cls=StarGANTrainer,
    hparams_cls=StarGANHparams,
    data_kind="multi-domain",
    losses=("wgan-gp",),  # + domain classification and reconstruction
    checkpoint_metrics=False,
)
