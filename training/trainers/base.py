"""The trainer contract: one object per family that turns batches into optimiser steps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch

from engine.families import LoadedModel


class Trainer(ABC):
    """Owns the networks and optimisers of one training run; the loop owns data, events and files."""

    family: str

    @abstractmethod
    def step(self, real: torch.Tensor, labels: torch.Tensor | None, step: int) -> dict[str, float]:
        """One optimisation step on a batch of real images in [-1, 1]; returns scalar losses."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly (networks, EMA, optimisers, running stats)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    @abstractmethod
    def export_model(self) -> LoadedModel:
        """The model to sample from and to save (EMA weights where the family keeps them)."""

    def sample(self, seeds: list[int]) -> torch.Tensor:
        """Images for fixed seeds from the exported model (for the sample grids)."""
        model = self.export_model()
        with torch.no_grad():
            z = model.sample_z(seeds)
            c = model.one_hot([s % max(1, len(model.capabilities.classes)) for s in seeds], len(seeds))
            return model.generate(z, c)
