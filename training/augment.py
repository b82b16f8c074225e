"""DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", 2020).

The same random, differentiable transforms are applied to every image the discriminator sees, real
or generated, so D cannot overfit a small dataset and G still gets gradients through the transform.
Policies (comma-separated): ``color`` (brightness, saturation, contrast), ``translation`` (shift by
up to 1/8 of the size, zero fill) and ``cutout`` (a zeroed square of half the size). Images are
NCHW in [-1, 1]; random numbers come from torch's global generator (saved in checkpoints, so a
resumed run draws the same transforms).

ADA-style adaptive probability (Karras et al., "Training Generative Adversarial Networks with Limited
Data", 2020): with ``p`` given, each transform is applied to each image with probability ``p``, and
:class:`AdaptiveAugment` raises ``p`` while D is over-confident on the real images (the mean sign of
its real logits, r_t, above a target, 0.6 in the paper) and lowers it otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _factor(x: torch.Tensor) -> torch.Tensor:
    """One uniform [0, 1) draw per image, shaped to broadcast over [N, C, H, W]."""
    return torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype)


def _brightness(x: torch.Tensor, r: torch.Tensor | None = None) -> torch.Tensor:
    return x + ((_factor(x) if r is None else r) - 0.5)


def _saturation(x: torch.Tensor, r: torch.Tensor | None = None) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * ((_factor(x) if r is None else r) * 2) + mean


def _contrast(x: torch.Tensor, r: torch.Tensor | None = None) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * ((_factor(x) if r is None else r) + 0.5) + mean


def translation(x: torch.Tensor, ratio: float = TRANSLATION_RATIO) -> torch.Tensor:
    """Shift each image by a random whole number of pixels up to ``ratio`` of its size; zeros fill in."""
    n, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sy, sy + 1, (n, 1, 1), device=x.device)
    tx = torch.randint(-sx, sx + 1, (n, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = (gy.unsqueeze(0) + ty + 1).clamp(0, h + 1)  # index into the padded image; the border is zero
    gx = (gx.unsqueeze(0) + tx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    batch = torch.arange(n, device=x.device).reshape(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, gy, gx].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    """Zero a random square of ``ratio`` of the image size in each image (it may overlap the border)."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = (
        (gy.unsqueeze(0) >= oy - ch // 2)
        & (gy.unsqueeze(0) < oy - ch // 2 + ch)
        & (gx.unsqueeze(0) >= ox - cw // 2)
        & (gx.unsqueeze(0) < ox - cw // 2 + cw)
    )
    return x * (~inside).unsqueeze(1).to(x.dtype)


COLOR = (_brightness, _saturation, _contrast)
POLICIES: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], ...]] = {
    "color": COLOR,
    "translation": (translation,),
    "cutout": (cutout,),
}


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"color,translation,cutout"`` → its names, checked (an empty string means no augmentation)."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in names if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {unknown} (choose from {', '.join(POLICIES)})")
    return names


def diff_augment(x: torch.Tensor, policy: str | tuple[str, ...], p: float | torch.Tensor | None = None) -> torch.Tensor:
    """Apply the transforms of ``policy`` to a batch of NCHW images (differentiable in ``x``).

    ``p``: the probability (a float or a 0-dim tensor, e.g. :attr:`AdaptiveAugment.p`) with which each
    transform is applied to each image, drawn independently; None applies every transform to every image."""
    if x.ndim != 4:
        raise ValueError(f"expected NCHW images, got shape {tuple(x.shape)}")
    names = parse_policy(policy) if isinstance(policy, str) else policy
    for name in names:
        for fn in POLICIES[name]:
            if p is None:
                x = fn(x)
            else:
                chosen = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < p
                x = torch.where(chosen, fn(x), x)
    return x.contiguous()


class AdaptiveAugment:
    """The augmentation probability ``p`` of ADA, tuned from D's outputs on real images.

    :meth:`observe` adds the signs of D's real logits (on the device: no host sync); every ``interval``
    steps :meth:`update` moves ``p`` by ``sign(r_t - target) * images / (speed_kimg * 1000)`` (so ``p`` can
    go from 0 to 1 in ``speed_kimg`` thousand images), clamped to [0, 1]. The state is saved with the
    trainer's, so a resumed run continues with the same ``p``."""

    def __init__(self, target: float, speed_kimg: float, interval: int, device: torch.device) -> None:
        if not 0 < target < 1:
            raise ValueError(f"the ADA target must be in (0, 1), got {target}")
        if speed_kimg <= 0 or interval < 1:
            raise ValueError("ada_kimg must be positive and ada_interval at least 1")
        self.target, self.speed_kimg, self.interval = target, speed_kimg, interval
        self.p = torch.zeros([], device=device)
        self._sign_sum = torch.zeros([], device=device)
        self._count = 0

    def observe(self, real_logits: torch.Tensor) -> None:
        """Add D's logits on (augmented) real images to the r_t estimate."""
        self._sign_sum = self._sign_sum + real_logits.detach().float().sign().sum()
        self._count += real_logits.numel()

    def update(self, step: int, batch: int) -> None:
        """After step ``step`` (0-based) of ``batch`` images: adjust ``p`` every ``interval`` steps."""
        if (step + 1) % self.interval or self._count == 0:
            return
        r_t = self._sign_sum / self._count
        adjust = torch.sign(r_t - self.target) * (batch * self.interval) / (self.speed_kimg * 1000)
        self.p = (self.p + adjust).clamp(0.0, 1.0)
        self._sign_sum = torch.zeros_like(self._sign_sum)
        self._count = 0

    @property
    def r_t(self) -> torch.Tensor:
        """The current estimate of r_t = E[sign(D(real))] (0 before any observation)."""
        return self._sign_sum / max(self._count, 1)

    def state_dict(self) -> dict[str, Any]:
        return {"p": self.p.detach().cpu(), "sign_sum": self._sign_sum.detach().cpu(), "count": self._count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.p = state["p"].to(self.p.device)
        self._sign_sum = state["sign_sum"].to(self.p.device)
        self._count = int(state["count"])


def diff_augment_pair(
    a: torch.Tensor, b: torch.Tensor, policy: str | tuple[str, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random transforms on both images of each pair (a conditional discriminator that sees an
    input image A beside its output B, as pix2pix's, must see them shifted, cut out and re-coloured alike).

    ``a`` [N, Ca, H, W] and ``b`` [N, Cb, H, W]; colour factors are drawn once per pair and applied to
    each image with its own means, shifts and cut-outs once per pair and applied to both."""
    if a.ndim != 4 or b.ndim != 4 or a.shape[0] != b.shape[0] or a.shape[2:] != b.shape[2:]:
        raise ValueError(f"expected pairs of NCHW images of one size, got {tuple(a.shape)} and {tuple(b.shape)}")
    names = parse_policy(policy) if isinstance(policy, str) else policy
    for name in names:
        for fn in POLICIES[name]:
            if fn in COLOR:
                r = _factor(a)
                a, b = fn(a, r), fn(b, r)
            else:
                both = fn(torch.cat([a, b], dim=1))
                a, b = both[:, : a.shape[1]], both[:, a.shape[1] :]
    return a.contiguous(), b.contiguous()
