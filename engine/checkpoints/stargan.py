"""yunjey/stargan generator checkpoints: ``*-G.ckpt`` (zip or legacy container), a plain state dict.

The architecture is inferred from the tensors: conv_dim and image channels + c_dim from
``main.0.weight``, the residual blocks from ``main.N.main.*``. Checkpoints written by torch 0.4.0
lack ``num_batches_tracked``; it is filled with zeros (it has no effect on the output).

StarGAN's ``Solver.test()`` never calls ``G.eval()``, so its instance norms normalise every image
with its own statistics; that is the default here (``norm_stats="instance"``). ``norm_stats=
"running"`` uses the stored running statistics instead (what ``eval()`` would do).

Domain names are not stored in the file. For the layouts of StarGAN's published models they are
StarGAN's defaults (CelebA ``--selected_attrs`` for 5 domains, the RaFD expressions for 8), marked
in meta as assumed; otherwise ``domain 0``, ``domain 1``, ….
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.families import LoadedModel, get_family
from engine.models.stargan import NORM_STATS, StarGANConfig

CELEBA_ATTRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
RAFD_EXPRESSIONS = ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad", "surprised")
_BLOCK = re.compile(r"main\.(\d+)\.main\.0\.weight$")


def _state(obj: Any) -> dict[str, torch.Tensor] | None:
    if not isinstance(obj, Mapping) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        return None
    return {str(k).removeprefix("module."): v for k, v in obj.items()}


def detect(obj: Any) -> bool:
    sd = _state(obj)
    if sd is None or "main.0.weight" not in sd:
        return False
    generator = any(_BLOCK.match(k) for k in sd) and sd["main.0.weight"].shape[-1] == 7
    discriminator = "conv1.weight" in sd and "conv2.weight" in sd
    return generator or discriminator


def load(path: Path, obj: Any, norm_stats: str = "instance") -> LoadedModel:
    """Build the LatentLab ``stargan`` model for a StarGAN generator state dict."""
    if norm_stats not in NORM_STATS:
        raise ValueError(f"norm_stats must be one of {NORM_STATS}, got {norm_stats!r}")
    sd = _state(obj)
    if sd is None:
        raise CheckpointError(path, "not a state dict of tensors")
    if "conv1.weight" in sd and "conv2.weight" in sd:
        raise CheckpointError(path, "this is a StarGAN discriminator (*-D.ckpt); open the generator (*-G.ckpt)")
    w0 = sd["main.0.weight"]
    blocks = sorted(int(m.group(1)) for k in sd if (m := _BLOCK.match(k)))
    if blocks != list(range(9, 9 + len(blocks))):
        raise CheckpointError(path, "StarGAN generator: residual blocks must follow main.8 consecutively")
    last = f"main.{9 + len(blocks) + 6}.weight"
    if last not in sd:
        raise CheckpointError(path, f"StarGAN generator: output convolution {last} missing")
    channels = int(sd[last].shape[0])
    conv_dim, c_dim = int(w0.shape[0]), int(w0.shape[1]) - channels
    if c_dim < 1:
        raise CheckpointError(path, f"StarGAN generator: first conv takes {int(w0.shape[1])} channels, no labels")
    cfg = StarGANConfig(
        resolution=128,
        img_channels=channels,
        c_dim=c_dim,
        conv_dim=conv_dim,
        repeat_num=len(blocks),
        norm_stats=norm_stats,
    )
    family = get_family("stargan")
    module = family.build(cfg)
    own = module.state_dict()
    full: dict[str, torch.Tensor] = {}
    for name, ref in own.items():
        if name not in sd:
            if name.endswith("num_batches_tracked"):
                full[name] = torch.zeros_like(ref)  # torch 0.4.0 checkpoints
                continue
            raise CheckpointError(path, f"StarGAN generator lacks {name}")
        if tuple(sd[name].shape) != tuple(ref.shape):
            raise CheckpointError(path, f"{name} has shape {tuple(sd[name].shape)}, expected {tuple(ref.shape)}")
        full[name] = sd[name].to(ref.dtype)
    extra = sorted(set(sd) - set(own))
    if extra:
        raise CheckpointError(path, f"StarGAN generator has unexpected tensors, e.g. {', '.join(extra[:3])}")
    module.load_state_dict(full, strict=True)
    names = {5: CELEBA_ATTRS, 8: RAFD_EXPRESSIONS}.get(c_dim)
    meta: dict[str, Any] = {
        "source_family": "StarGAN",
        "norm_stats": norm_stats,
        "classes": list(names) if names else [],
    }
    if names:
        meta["classes_assumed"] = "StarGAN default for this number of domains (not stored in the file)"
    return family.wrap(module, cfg, meta)


__all__ = ["CELEBA_ATTRS", "RAFD_EXPRESSIONS", "detect", "load"]
