"""The trainer contract: one object per family that turns batches into optimiser steps, and the
declaration (:class:`TrainerSpec`) that registers it in :mod:`training.trainers`."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from engine.families import LoadedModel, get_family

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
    data_kind: str = "images"
    """What ``training.data.open_dataset`` must deliver: images, labelled, paired, unpaired, multi-domain
    (set from the declaration, :meth:`TrainerSpec.data_kind_for`, when the registry builds the trainer)."""

    @classmethod
    def from_config(cls, family: str, model: dict[str, Any], hp: Any, device: torch.device) -> Trainer:
        """Build the trainer from the plain model config dict (typed by the family) and typed hyper-parameters;
        trainers whose constructor takes something else override it."""
        return cls(get_family(family).config_from_dict(model), hp, device)  # type: ignore[call-arg]

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


DATA_KINDS = ("images", "labelled", "paired", "unpaired", "multi-domain")
DISCRIMINATOR_OPTIONS = {"freeze_d": "--freeze-d", "diffaugment": "--diffaugment"}


@dataclass(frozen=True)
class TrainerSpec:
    """One trainer, declared (as a family is by :class:`engine.families.base.ModelFamily`): what the rest of
    training and the Train window read without building it.

    A trainer module ends with its declaration (``TRAINER = TrainerSpec(...)``) and
    :mod:`training.trainers` registers it by ``name``. Either ``trainer_cls`` is set (a :class:`Trainer`
    stepped by :func:`training.loop.run`: checkpoints, resume, control) or ``run`` is (a trainer with its own
    loop that makes no model file, such as the feature-network classifier of the metrics).
    """

    name: str
    """The model family it trains (``latentlab train --family NAME``)."""
    hparams_cls: type
    """Frozen dataclass of its hyper-parameters (the keys ``--hparams`` takes)."""
    trainer_cls: type[Trainer] | None = None
    run: Callable[..., Path] | None = None
    """``run(options, events)`` for a trainer with its own loop (no steps, checkpoints, resume or control)."""
    makes: str = "model"
    """``model``: a model file the explorer opens; ``feature-network``: a network the metrics use."""
    data_kind: str = "images"
    """What the data must be: images, labelled, paired, unpaired or multi-domain (see ``training.data``)."""
    conditional_data_kind: str | None = None
    """The data kind for a conditional model config (``c_dim > 0``), when it differs."""
    losses: tuple[str, ...] = ()
    """The objectives it can optimise, by name; the first is the default."""
    loss_field: str | None = None
    """The hyper-parameter that picks one of ``losses`` (None: the objective is fixed)."""
    has_discriminator: bool = True
    """False: discriminator options (``--freeze-d``, ``--diffaugment``) do not apply."""
    checkpoint_metrics: bool = True
    """FID/KID of samples drawn from z measure its progress (``--metrics-n`` at each checkpoint)."""

    def __post_init__(self) -> None:
        if (self.trainer_cls is None) == (self.run is None):
            raise TypeError(f"trainer {self.name!r}: declare exactly one of trainer_cls and run")
        for kind in (self.data_kind, self.conditional_data_kind):
            if kind is not None and kind not in DATA_KINDS:
                raise ValueError(f"trainer {self.name!r}: unknown data kind {kind!r} (known: {DATA_KINDS})")
        if self.makes not in ("model", "feature-network"):
            raise ValueError(f"trainer {self.name!r}: makes must be 'model' or 'feature-network'")
        if not self.losses:
            raise ValueError(f"trainer {self.name!r}: declare the losses it optimises")

    @property
    def stepped(self) -> bool:
        """Whether :func:`training.loop.run` drives it (steps, checkpoints, resume, control)."""
        return self.trainer_cls is not None

    def data_kind_for(self, model: Mapping[str, Any]) -> str:
        """The data kind a run with model config ``model`` (a plain dict) needs."""
        if self.conditional_data_kind is not None and int(model.get("c_dim") or 0) > 0:
            return self.conditional_data_kind
        return self.data_kind

    def hparams(self, d: Mapping[str, Any]) -> Any:
        """Typed hyper-parameters from a plain dict (lists become tuples); unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(self.hparams_cls)}
        unknown = set(d) - names
        if unknown:
            if not self.has_discriminator and (given := [v for k, v in DISCRIMINATOR_OPTIONS.items() if k in d]):
                verb = "does" if len(given) == 1 else "do"
                raise ValueError(
                    f"{self.name} training has no discriminator, so {' and '.join(given)} {verb} not apply"
                )
            raise ValueError(f"unknown hyper-parameters: {sorted(unknown)} (known: {sorted(names)})")
        return self.hparams_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def create(self, model: dict[str, Any], hparams: Mapping[str, Any], device: torch.device) -> Trainer:
        """Build the trainer from plain dicts (model config fields and hyper-parameters)."""
        if self.trainer_cls is None:
            raise ValueError(f"the {self.name} trainer runs its own loop; it has no steps to build")
        trainer = self.trainer_cls.from_config(self.name, model, self.hparams(hparams), device)
        trainer.data_kind = self.data_kind_for(model)
        return trainer
