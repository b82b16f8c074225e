"""The trainer contract: one object per family that turns batches into optimiser steps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import nn

from engine.families import LoadedModel

Batch = dict[str, torch.Tensor]
"""One training batch. Keys by data kind (see ``training.data``):

- ``"image"``: float [N, C, H, W] in [-1, 1] (every kind of single-image data);
- ``"label"``: int64 [N] class indices (labelled data);
- ``"A"``, ``"B"``: float images of two domains (paired data: row i of A matches row i of B);
- ``"domain"``: float [N, K] multi-hot attribute/domain labels (multi-domain data).
"""


class Trainer(ABC):
    """Owns the networks and optimisers of one training run; the loop owns data, events and files."""

    family: str
    data_kind: ClassVar[str] = "images"
    """What ``training.data.open_dataset`` must deliver: images, labelled, paired, unpaired, multi-domain."""

    lap_timer: Callable[[str], None] | None = None
    """Set by ``latentlab bench train --breakdown``; see :meth:`lap`."""

    def lap(self, name: str) -> None:
        """Mark the end of one part of a step (G, D, D_r1, ...): the time since the previous mark (or the
        step's start) is that part's, when a benchmark asks for the breakdown; otherwise nothing."""
        if self.lap_timer is not None:
            self.lap_timer(name)

    def attach_data(self, dataset: Any) -> None:  # noqa: B027 - an optional hook, not abstract
        """Called once with the opened ``training.data.ImageDataset`` before the first step (class names,
        data needed at export); the default ignores it."""

    @abstractmethod
    def step(self, batch: Batch, step: int) -> dict[str, torch.Tensor | float]:
        """One optimisation step on ``batch``; returns scalar losses (0-dim tensors are fine: the loop
        converts them to floats only when it logs, so a step needs no host sync)."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly (networks, EMA, optimisers, running stats)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    @abstractmethod
    def export_model(self) -> LoadedModel:
        """The model to sample from and to save (EMA weights where the family keeps them)."""

    init_optional: ClassVar[tuple[str, ...]] = ()
    """Key prefixes of the exported module that an ``--init`` source may lack as a whole (they stay fresh)."""

    def networks(self) -> dict[str, nn.Module]:
        """Every network of the run by its key in :meth:`state_dict` (G, D, G_ema, ...)."""
        raise ValueError(f"{self.family} training cannot start from a checkpoint yet (--init)")

    def generator_networks(self) -> tuple[str, ...]:
        """Keys of :meth:`networks` laid out exactly like ``export_model().module`` (the generator and its EMA
        copy): ``--init`` from a model file copies its weights into each of them; the rest (discriminators)
        start fresh."""
        return ("G", "G_ema")

    def init_from(self, source: str) -> dict[str, Any]:
        """Start from the weights in ``source`` (fine-tuning; fresh optimisers, step 0); returns what was
        loaded (for the ``init`` event). See :mod:`training.finetune`."""
        from training.finetune import init_trainer

        return init_trainer(self, source)

    def after_init(self, source: str) -> dict[str, Any]:  # noqa: ARG002 - for the trainers that need it
        """Called after ``--init`` loaded the weights of ``source`` (e.g. to resume a growth schedule where
        the weights are); returns more fields for the ``init`` event."""
        return {}

    def wrap_ddp(self) -> None:
        """Called once in a distributed run, after rank 0's weights reach every rank: make the
        optimisers step on gradients averaged over the ranks. The default hooks every optimiser
        attribute (see :func:`training.distributed.average_gradients`); a trainer whose networks are
        only called through ``forward`` may wrap them in ``DistributedDataParallel`` instead."""
        from training.distributed import average_gradients

        average_gradients(self)

    def sample(self, seeds: list[int]) -> torch.Tensor:
        """Images for fixed seeds from the exported model (for the sample grids)."""
        model = self.export_model()
        with torch.no_grad():
            z = model.sample_z(seeds)
            c = model.one_hot([s % max(1, len(model.capabilities.classes)) for s in seeds], len(seeds))
            return model.generate(z, c)
