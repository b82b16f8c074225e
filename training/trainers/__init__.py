"""Trainers by family name (lazily imported)."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from training.trainers.base import Trainer

TRAINABLE = (
    "stylegan2",
    "stylegan3",
    "stylegan",
    "pggan",
    "gan",
    "dcgan",
    "vae",
    "pix2pix",
    "cyclegan",
    "stargan",
    "psp",
)
NO_DISCRIMINATOR = ("vae", "psp")
DISCRIMINATOR_OPTIONS = {"freeze_d": "--freeze-d", "diffaugment": "--diffaugment"}


def make_trainer(family: str, model: dict[str, Any], hparams: dict[str, Any], device: torch.device) -> Trainer:
    """Build the trainer of ``family`` from plain dicts (model config fields and hyper-parameters)."""
    if family in NO_DISCRIMINATOR and (given := [v for k, v in DISCRIMINATOR_OPTIONS.items() if k in hparams]):
        verb = "does" if len(given) == 1 else "do"
        raise ValueError(f"{family} training has no discriminator, so {' and '.join(given)} {verb} not apply")
    if family == "stylegan2":
        from engine.families import get_family
        from training.trainers.stylegan2 import StyleGAN2Hparams, StyleGAN2Trainer

        cfg = get_family("stylegan2").config_from_dict(model)
        hp = _dataclass_from(StyleGAN2Hparams, hparams)
        return StyleGAN2Trainer(cfg, hp, device)
    if family == "stylegan3":
        from engine.families import get_family
        from training.trainers.stylegan3 import StyleGAN3Hparams, StyleGAN3Trainer

        cfg = get_family("stylegan3").config_from_dict(model)
        return StyleGAN3Trainer(cfg, _dataclass_from(StyleGAN3Hparams, hparams), device)
    if family == "stylegan":
        from engine.families import get_family
        from training.trainers.stylegan import StyleGANHparams, StyleGANTrainer

        cfg = get_family("stylegan").config_from_dict(model)
        return StyleGANTrainer(cfg, _dataclass_from(StyleGANHparams, hparams), device)
    if family == "pggan":
        from engine.families import get_family
        from training.trainers.pggan import PGGANHparams, PGGANTrainer

        cfg = get_family("pggan").config_from_dict(model)
        return PGGANTrainer(cfg, _dataclass_from(PGGANHparams, hparams), device)
    if family in ("gan", "dcgan"):
        from engine.families import get_family
        from training.trainers.gan import GANHparams, GANTrainer

        cfg = get_family(family).config_from_dict(model)
        return GANTrainer(family, cfg, _dataclass_from(GANHparams, hparams), device)
    if family == "vae":
        from engine.families import get_family
        from training.trainers.vae import VAEHparams, VAETrainer

        return VAETrainer(get_family("vae").config_from_dict(model), _dataclass_from(VAEHparams, hparams), device)
    if family == "psp":
        from training.trainers.psp import PSPHparams, PSPTrainer

        return PSPTrainer(model, _dataclass_from(PSPHparams, hparams), device)
    if family in ("pix2pix", "cyclegan", "stargan"):
        return _translation_trainer(family, model, hparams, device)
    raise ValueError(f"family '{family}' cannot be trained yet (trainable: {', '.join(TRAINABLE)})")


def _translation_trainer(family: str, model: dict[str, Any], hparams: dict[str, Any], device: torch.device) -> Trainer:
    from engine.families import get_family

    cfg = get_family(family).config_from_dict(model)
    if family == "pix2pix":
        from training.trainers.pix2pix import Pix2PixHparams, Pix2PixTrainer

        return Pix2PixTrainer(cfg, _dataclass_from(Pix2PixHparams, hparams), device)
    if family == "cyclegan":
        from training.trainers.cyclegan import CycleGANHparams, CycleGANTrainer

        return CycleGANTrainer(cfg, _dataclass_from(CycleGANHparams, hparams), device)
    from training.trainers.stargan import StarGANHparams, StarGANTrainer

    return StarGANTrainer(cfg, _dataclass_from(StarGANHparams, hparams), device)


def _dataclass_from(cls: type, d: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ValueError(f"unknown hyper-parameters: {sorted(unknown)} (known: {sorted(names)})")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})
