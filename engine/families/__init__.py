"""Registry of model families: an explicit, lazily imported dict of name → declaration.

Each family module (``engine/families/<name>.py``) holds its :class:`LoadedModel` subclass (when it needs
its own) and ends with one declaration, ``FAMILY = ModelFamily(name, description, config_cls, module_cls,
model_cls, tiny)``; this dict registers it.
"""

from __future__ import annotations

import importlib

from engine.errors import LatentLabError
from engine.families.base import Capabilities, ImageInput, LoadedModel, ModelFamily, Progressive, WSpace

# name -> "module:attribute" of the ModelFamily instance.
_REGISTRY: dict[str, str] = {
    "stylegan2": "engine.families.stylegan2:FAMILY",
    "stylegan3": "engine.families.stylegan3:FAMILY",
    "gan": "engine.families.gan:FAMILY",
    "dcgan": "engine.families.dcgan:FAMILY",
    "vae": "engine.families.vae:FAMILY",
    "pggan": "engine.families.pggan:FAMILY",
    "stylegan": "engine.families.stylegan:FAMILY",
    "pix2pix": "engine.families.pix2pix:FAMILY",
    "cyclegan": "engine.families.cyclegan:FAMILY",
    "stargan": "engine.families.stargan:FAMILY",
    "psp": "engine.families.psp:FAMILY",
}
_CACHE: dict[str, ModelFamily] = {}


class UnknownFamilyError(LatentLabError, KeyError):
    """A family name that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


def family_names() -> list[str]:
    """Names of every registered family."""
    return sorted(_REGISTRY)


def get_family(name: str) -> ModelFamily:
    """The family registered as ``name``; an unknown name lists the known ones."""
    if name not in _REGISTRY:
        raise UnknownFamilyError(f"unknown model family '{name}' (known: {', '.join(family_names())})")
    if name not in _CACHE:
        mod, attr = _REGISTRY[name].split(":")
        family = getattr(importlib.import_module(mod), attr)
        if family.name != name:
            raise RuntimeError(f"{_REGISTRY[name]} declares family {family.name!r}, registered as {name!r}")
        _CACHE[name] = family
    return _CACHE[name]


__all__ = [
    "Capabilities",
    "ImageInput",
    "LoadedModel",
    "ModelFamily",
    "Progressive",
    "UnknownFamilyError",
    "WSpace",
    "family_names",
    "get_family",
]
