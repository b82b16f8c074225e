"""GAN losses and regularisers shared by trainers."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F


def g_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: ``softplus(-D(G(z)))`` = -log σ(D(G(z)))."""
    return F.softplus(-fake_logits).mean()


def g_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """The original (saturating) generator loss: mean log(1 − σ(D(G(z)))) = ``-softplus(D(G(z)))``."""
    return -F.softplus(fake_logits).mean()


def d_logistic(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Logistic discriminator loss: ``softplus(D(fake)) + softplus(-D(real))``."""
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()


def g_wasserstein(fake_logits: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: ``-D(G(z))``."""
    return -fake_logits.mean()


def wasserstein_distance(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The critic's estimate of the Wasserstein-1 distance, ``D(real) − D(fake)`` (the critic maximises it)."""
    return real_logits.mean() - fake_logits.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    c: torch.Tensor | None,
) -> torch.Tensor:
    """WGAN-GP: mean of (‖∇ₓ D(x̂)‖₂ − 1)² over x̂ = ε·real + (1 − ε)·fake, ε ~ U[0, 1] per sample."""
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} differ")
    eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(x, c)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).square().mean()


def target_bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Vanilla GAN loss against all-real / all-fake targets: BCE with logits."""
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits) if real else torch.zeros_like(logits))


def target_least_squares(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """LSGAN loss against all-real / all-fake targets: mean squared error to 1 / 0."""
    return F.mse_loss(logits, torch.ones_like(logits) if real else torch.zeros_like(logits))


TARGET_LOSSES: dict[str, Callable[[torch.Tensor, bool], torch.Tensor]] = {
    "vanilla": target_bce,
    "lsgan": target_least_squares,
}
"""Adversarial losses against real/fake targets (PatchGAN trainers), by name."""


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1: squared gradient norm of D at real samples (per-sample mean); ``real`` needs grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.square().sum(dim=[1, 2, 3]).mean()


def path_length(
    img: torch.Tensor, ws: torch.Tensor, pl_mean: torch.Tensor, decay: float = 0.01
) -> tuple[torch.Tensor, torch.Tensor]:
    """Path-length regulariser: returns (penalty, updated pl_mean); ``ws`` must require grad."""
    noise = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
    (grad,) = torch.autograd.grad((img * noise).sum(), ws, create_graph=True)
    lengths = grad.square().sum(dim=2).mean(dim=1).sqrt()
    new_mean = pl_mean.lerp(lengths.mean().detach(), decay)
    return (lengths - new_mean).square().mean(), new_mean
