"""VAE training: reconstruction (BCE or MSE) + β·KL with the reparameterisation trick.

The loss per image is ``recon(x, decode(μ + σ·ε)) + β·KL(q(z|x) ‖ N(0, I))`` (summed over pixels
and latent dimensions, averaged over the batch: the negative ELBO when β = 1). ``kl_warmup``
ramps β linearly from 0 over that many steps, a common guard against posterior collapse. At export
the top principal directions of the encoder means over (up to ``direction_images``) training
images are stored with the model, so the explorer can move along them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from engine.families import get_family
from engine.families.vae import VAEModel, fit_directions
from engine.models.vae import VAE, VAEConfig, kl_divergence, reconstruction_loss
from training.data import ImageDataset
from training.trainers.base import Batch, Trainer, TrainerSpec


@dataclass(frozen=True)
class VAEHparams:
    lr: float = 1e-3
    beta: float = 1.0
    kl_warmup: int = 0
    direction_images: int = 10000

    def __post_init__(self) -> None:
        if self.beta < 0 or self.kl_warmup < 0:
            raise ValueError("beta and kl_warmup must be non-negative")


class VAETrainer(Trainer):
    family = "vae"

    def __init__(self, cfg: VAEConfig, hp: VAEHparams, device: torch.device) -> None:
        self.cfg, self.hp, self.device = cfg, hp, device
        self.net = VAE(cfg).to(device).train()
        self.opt = torch.optim.Adam(self.net.parameters(), lr=hp.lr)
        self.dataset: ImageDataset | None = None

    def attach_data(self, dataset: ImageDataset) -> None:
        self.dataset = dataset

    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        x = batch["image"].to(self.device)
        logits, mu, logvar = self.net(x)
        recon = reconstruction_loss(logits, x, self.cfg.recon).mean()
        kl = kl_divergence(mu, logvar).mean()
        beta = self.hp.beta * (min(1.0, (step + 1) / self.hp.kl_warmup) if self.hp.kl_warmup else 1.0)
        loss = recon + beta * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.detach(), "recon": recon.detach(), "kl": kl.detach()}

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"net": self.net}

    def generator_networks(self) -> tuple[str, ...]:
        return ("net",)

    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "opt": self.opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])

    def export_model(self) -> VAEModel:
        net = copy.deepcopy(self.net).eval().requires_grad_(False)
        if self.dataset is not None and self.cfg.num_directions > 0:
            n = min(len(self.dataset), self.hp.direction_images)
            images = self.dataset.images[:n].float() / 127.5 - 1
            fit_directions(net, images)
        return get_family("vae").wrap(net.cpu(), self.cfg)


TRAINER = TrainerSpec(
    name="vae",
    trainer_cls=VAETrainer,
    hparams_cls=VAEHparams,
    losses=("elbo",),  # reconstruction + β·KL
    has_discriminator=False,
)
