"""FreezeD (Mo et al., "Freeze the Discriminator", 2020): keep a discriminator's first layers fixed.

When a GAN is fine-tuned on a small dataset, the discriminator's lower layers (from the image side)
already compute generic features; freezing them and training only the upper ones reduces
over-fitting. Each trainer lists its discriminator's layers from the image side (the decision head
excluded, see ``Trainer.discriminator_layers``); the first N of them get no optimiser.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from torch import nn


def frozen_ids(layers: Sequence[nn.Module], n: int, what: str = "discriminator") -> set[int]:
    """``id``s of the parameters of ``layers[:n]`` (ValueError when ``n`` is negative or too large)."""
    if n < 0:
        raise ValueError("freeze_d must be 0 or more")
    if n > len(layers):
        raise ValueError(f"freeze_d {n} is more than the {what}'s {len(layers)} layers")
    return {id(p) for layer in layers[:n] for p in layer.parameters()}


def trainable(params: Iterable[nn.Parameter], frozen: set[int]) -> list[nn.Parameter]:
    """The parameters an optimiser should step: those not frozen."""
    return [p for p in params if id(p) not in frozen]


def conv_layers(seq: nn.Sequential, head: bool = True) -> list[nn.Module]:
    """The layers of a plain conv stack: each convolution together with the norm layers after it.

    ``head``: the last convolution is the decision layer and is left out (it is never frozen)."""
    groups: list[list[nn.Module]] = []
    for m in seq.children():
        if isinstance(m, nn.Conv2d):
            groups.append([m])
        elif groups and any(True for _ in m.parameters()):
            groups[-1].append(m)
    if head and groups:
        groups = groups[:-1]
    return [nn.ModuleList(g) for g in groups]
