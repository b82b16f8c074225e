"""Registry of trainers, like :mod:`engine.families`: an explicit, lazily imported dict of name → declaration.

Each trainer module ends with its :class:`~training.trainers.base.TrainerSpec` (family, hyper-parameter
class, data kind, losses, ...); everything that needs to know about trainers (``training.run``, the loop,
the benchmark, the Train window) asks this registry instead of naming families.
"""

from __future__ import annotations

import importlib
from typing import Any

import torch

from training.trainers.base import Trainer, TrainerSpec

# name -> "module:attribute" of the TrainerSpec.
_REGISTRY: dict[str, str] = {
    "stylegan2": "training.trainers.stylegan2:TRAINER",
    "stylegan3": "training.trainers.stylegan3:TRAINER",
    "stylegan": "training.trainers.stylegan:TRAINER",
    "pggan": "training.trainers.pggan:TRAINER",
    "gan": "training.trainers.gan:GAN",
    "dcgan": "training.trainers.gan:DCGAN",
    "vae": "training.trainers.vae:TRAINER",
    "pix2pix": "training.trainers.pix2pix:TRAINER",
    "cyclegan": "training.trainers.cyclegan:TRAINER",
    "stargan": "training.trainers.stargan:TRAINER",
    "psp": "training.trainers.psp:TRAINER",
    "classifier": "training.classifier:TRAINER",
}
_CACHE: dict[str, TrainerSpec] = {}


def trainer_names() -> list[str]:
    """Names of every registered trainer (model families, plus the metrics' feature classifier)."""
    return sorted(_REGISTRY)


def get_trainer(name: str) -> TrainerSpec:
    """The declaration of the trainer registered as ``name``; an unknown name lists the trainable ones."""
    if name not in _REGISTRY:
        raise ValueError(f"family '{name}' cannot be trained yet (trainable: {', '.join(trainer_names())})")
    if name not in _CACHE:
        mod, attr = _REGISTRY[name].split(":")
        spec = getattr(importlib.import_module(mod), attr)
        if spec.name != name:
            raise RuntimeError(f"{_REGISTRY[name]} declares trainer {spec.name!r}, registered as {name!r}")
        _CACHE[name] = spec
    return _CACHE[name]


def make_trainer(family: str, model: dict[str, Any], hparams: dict[str, Any], device: torch.device) -> Trainer:
    """Build the trainer of ``family`` from plain dicts (model config fields and hyper-parameters)."""
    return get_trainer(family).create(model, hparams, device)


__all__ = ["Trainer", "TrainerSpec", "get_trainer", "make_trainer", "trainer_names"]
