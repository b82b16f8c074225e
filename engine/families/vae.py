"""The VAE family: decode z into images, encode images into z, and stored principal directions."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine.families.base import Capabilities, ImageInput, LoadedModel, ModelFamily
from engine.models.vae import VAE, VAEConfig


class VAEModel(LoadedModel[VAEConfig]):
    """A convolutional VAE: ``generate``/``decode`` from z, ``encode`` to the posterior mean."""

    module: VAE

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        return Capabilities(
            family=self.family,
            task="autoencoder",
            resolution=cfg.resolution,
            channels=cfg.img_channels,
            z_dim=cfg.z_dim,
            image_input=ImageInput(channels=cfg.img_channels, size=cfg.resolution),
            encodes_into="z",
            latent_directions=cfg.num_directions if self.has_directions else 0,
        )

    @property
    def has_directions(self) -> bool:
        return bool((self.module.pca_std > 0).any())

    def generate(self, z: torch.Tensor, c: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
        if kwargs:
            raise ValueError(f"vae takes no options {sorted(kwargs)}")
        return self.decode(z)

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        return self.module.decode(latent.to(self.device))

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """The posterior mean μ(x) [N, z_dim] (deterministic, what an explorer wants to edit)."""
        mu, _ = self.module.encode(image.to(self.device))
        return mu

    def reconstruct(self, image: torch.Tensor) -> torch.Tensor:
        """decode(encode(x)) — the model's reconstruction of ``image``."""
        return self.decode(self.encode(image))

    def latent_directions(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.has_directions:
            raise NotImplementedError("this VAE stores no latent directions (train or export it with LatentLab)")
        return self.module.pca_components, self.module.pca_std

    def latent_weights(self) -> list[tuple[int, torch.Tensor]]:
        return [(0, self.module.from_z.weight)]

    def layer_names(self) -> list[str]:
        return list(self.module.layers())

    def layer_module(self, name: str) -> nn.Module:
        layers = self.module.layers()
        if name not in layers:
            raise ValueError(f"{self.family} model has no layer {name!r}")
        return layers[name]


@torch.no_grad()
def fit_directions(model: VAE, images: torch.Tensor, batch: int = 512) -> None:
    """Store the principal directions of the encoder means over ``images`` [N, C, R, R] in [-1, 1]."""
    k = model.cfg.num_directions
    if k == 0:
        return
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    chunks = [images[i : i + batch].to(dev).float() for i in range(0, len(images), batch)]
    mus = torch.cat([model.encode(x)[0].cpu() for x in chunks])
    model.train(was_training)
    if mus.shape[0] < 2:
        raise ValueError("need at least 2 images to fit latent directions")
    mean = mus.mean(dim=0)
    _, s, vh = torch.linalg.svd(mus - mean, full_matrices=False)
    std = s[:k] / (mus.shape[0] - 1) ** 0.5
    model.pca_mean.copy_(mean)
    model.pca_components.copy_(vh[:k])
    model.pca_std.copy_(std)


FAMILY = ModelFamily(
    name="vae",
    description="Convolutional variational autoencoder (Kingma & Welling 2014): encode, decode, sample",
    config_cls=VAEConfig,
    module_cls=VAE,
    model_cls=VAEModel,
    tiny=VAEConfig(resolution=16, img_channels=1, z_dim=6, channels=(8, 16), num_directions=3),
)
