"""Pieces shared by the image-to-image trainers: linear learning-rate decay, the image replay buffer,
fixed sample inputs and grid layout."""

from __future__ import annotations

from typing import Any

import torch


def linear_decay(decay_start: int, decay_steps: int):
    """LR factor per step: 1 until ``decay_start``, then linearly to 0 over ``decay_steps`` (0 = never decay).

    pytorch-CycleGAN-and-pix2pix's ``linear`` policy, counted in steps instead of epochs.
    """
    if decay_start < 0 or decay_steps < 0:
        raise ValueError("decay_start and decay_steps must be ≥ 0")

    def factor(step: int) -> float:
        if decay_steps == 0 or step < decay_start:
            return 1.0
        return max(0.0, 1.0 - (step - decay_start) / decay_steps)

    return factor


class ImagePool:
    """The replay buffer of Shrivastava et al. (2017) used by CycleGAN: discriminators see a mix of
    the newest fakes and fakes from up to ``size`` earlier ones (each new image: stored while the pool
    fills; afterwards, with probability ½, swapped for a random stored image that is returned instead)."""

    def __init__(self, size: int = 50) -> None:
        if size < 0:
            raise ValueError("pool size must be ≥ 0")
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for img in images.detach():
            img = img[None]
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif torch.rand(()) < 0.5:
                i = int(torch.randint(0, self.size, ()))
                out.append(self.images[i].clone())
                self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.cat(out)

    def state_dict(self) -> dict[str, Any]:
        return {"size": self.size, "images": torch.cat(self.images).cpu() if self.images else torch.empty(0)}

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.size = int(state["size"])
        imgs = state["images"]
        self.images = [imgs[i : i + 1].to(device) for i in range(imgs.shape[0])] if imgs.numel() else []


def apply_decay(optimizers: list[torch.optim.Optimizer], base_lrs: list[float], factor: float) -> None:
    """Set every optimiser's learning rate to its base rate × ``factor`` (see :func:`linear_decay`).

    The rate is a function of the step alone, so resuming from a checkpoint restores it exactly."""
    for opt, lr in zip(optimizers, base_lrs):
        for group in opt.param_groups:
            group["lr"] = lr * factor
