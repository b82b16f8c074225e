"""pix2pix training (Isola et al. 2017): conditional PatchGAN on (A, B) pairs + λ·L1(G(A), B), λ = 100."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from engine.families import LoadedModel, get_family
from engine.models.pix2pix import PatchDiscriminator, Pix2PixConfig
from training.augment import diff_augment_pair, parse_policy
from training.freeze_d import conv_layers, frozen_ids, trainable
from training.losses import TARGET_LOSSES
from training.speed import as_channels_last, autocast, channels_last, check_bf16
from training.trainers.base import Batch, Trainer, TrainerSpec
from training.trainers.translation_common import apply_decay, linear_decay
from training.translation_eval import translation_rows

GAN_LOSSES = tuple(TARGET_LOSSES)


@dataclass(frozen=True)
class Pix2PixHparams:
    """The paper's defaults: Adam(2e-4, β (0.5, 0.999)), vanilla GAN loss, λ_L1 = 100; optional linear decay."""

    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    l1_lambda: float = 100.0
    gan_loss: str = "vanilla"
    decay_start: int = 0
    decay_steps: int = 0
    diffaugment: str = ""
    """DiffAugment policy; D sees (A, B) pairs, both transformed alike (see ``diff_augment_pair``)."""
    freeze_d: int = 0
    """FreezeD: keep the PatchGAN's first N conv layers (from the image side) fixed."""
    channels_last: bool = False
    """NHWC weights and activations (faster convolutions on CPU)."""
    bf16: bool = False
    """bfloat16 autocast for G and D (losses, weights and Adam stay float32)."""

    def __post_init__(self) -> None:
        if self.gan_loss not in GAN_LOSSES:
            raise ValueError(f"gan_loss must be one of {GAN_LOSSES}, got {self.gan_loss!r}")
        parse_policy(self.diffaugment)


class Pix2PixTrainer(Trainer):
    """U-Net generator G(A) ≈ B and a PatchGAN that judges (A, B) pairs."""

    family = "pix2pix"
    sample_columns: ClassVar[int] = 3

    def __init__(self, cfg: Pix2PixConfig, hp: Pix2PixHparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.G = get_family("pix2pix").build(cfg).to(device).train()
        self.D = PatchDiscriminator(cfg.input_channels + cfg.img_channels, cfg.ndf, cfg.d_layers, cfg.norm)
        self.D = self.D.to(device).train()
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=hp.lr, betas=hp.betas)
        d_params = trainable(self.D.parameters(), frozen_ids(conv_layers(self.D.model), hp.freeze_d))
        self.opt_D = torch.optim.Adam(d_params, lr=hp.lr, betas=hp.betas)
        self.augment = parse_policy(hp.diffaugment)
        self.decay = linear_decay(hp.decay_start, hp.decay_steps)
        self.fixed: Batch | None = None
        if hp.bf16:
            check_bf16(device)
        if hp.channels_last:
            channels_last(self.G, self.D)
        self.domain_names: tuple[str, ...] = ()

    def attach_data(self, dataset: Any) -> None:
        self.fixed = dataset.fixed(4)
        self.domain_names = tuple(getattr(dataset, "domain_names", ()))

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D}

    def _d(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """PatchGAN logits for the pairs (a, b), after the DiffAugment policy (the same transform on both)."""
        if self.augment:
            a, b = diff_augment_pair(a, b, self.augment)
        with autocast(self.device, self.hp.bf16):
            return self.D(as_channels_last(torch.cat([a, b], 1), self.hp.channels_last)).float()

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        apply_decay([self.opt_G, self.opt_D], [self.hp.lr, self.hp.lr], self.decay(step))
        a, b = batch["A"].to(self.device), batch["B"].to(self.device)
        a, b = as_channels_last(a, self.hp.channels_last), as_channels_last(b, self.hp.channels_last)
        with autocast(self.device, self.hp.bf16):
            fake = self.G(a).float()
        # discriminator: real pairs → 1, fake pairs → 0
        d_fake = self._d(a, fake.detach())
        d_real = self._d(a, b)
        gan_loss = TARGET_LOSSES[self.hp.gan_loss]
        loss_d = 0.5 * (gan_loss(d_fake, False) + gan_loss(d_real, True))
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_D.step()
        # generator: fool D, and stay close to B in L1
        self.D.requires_grad_(False)
        loss_gan = gan_loss(self._d(a, fake), True)
        self.D.requires_grad_(True)
        loss_l1 = F.l1_loss(fake, b)
        loss_g = loss_gan + self.hp.l1_lambda * loss_l1
        self.opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_G.step()
        return {"loss_D": loss_d.detach(), "G_GAN": loss_gan.detach(), "G_L1": loss_l1.detach()}

    def state_dict(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])

    def export_model(self) -> LoadedModel:
        g = copy.deepcopy(self.G).cpu()
        return get_family("pix2pix").wrap(g, self.cfg, {"classes": [], "domains": list(self.domain_names)})

    def sample(self, seeds: list[int]) -> torch.Tensor:
        """Rows of fixed training inputs and their translations (see ``translation_rows``; seeds unused)."""
        if self.fixed is None:
            raise RuntimeError("attach_data must run before sample")
        images, _ = translation_rows(self.export_model(), self.fixed, getattr(self, "exclusive", True))
        return images


TRAINER = TrainerSpec(
    name="pix2pix",
    trainer_cls=Pix2PixTrainer,
    hparams_cls=Pix2PixHparams,
    data_kind="paired",
    losses=GAN_LOSSES,  # + λ·L1
    loss_field="gan_loss",
    checkpoint_metrics=False,
)
