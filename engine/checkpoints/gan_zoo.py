"""facebookresearch/pytorch_GAN_zoo checkpoints: ``{'config', 'netG', 'netD', 'avgG'}`` from ``BaseGAN.save()``.

``config`` is GAN zoo's ``BaseConfig`` attribute bag; it reaches us as an inert
:class:`~engine.checkpoints.safe_unpickle.ConfigStandIn` (allow-listed), never as the real class.
DCGAN generators are rebuilt here from tensor shapes (the config is cross-checked); progressive
GAN (PGAN) generators are loaded by :mod:`engine.checkpoints.gan_zoo_pgan`.

By default the averaged generator ``avgG`` is loaded, as the model hub's ``test(getAvG=True)``
does, with batch-norm *batch* statistics at inference: GAN zoo never calls ``eval()``, so its own
outputs use the statistics of the batch being generated. ``which="netG"`` and
``bn_stats="running"`` select the other copy / deterministic per-sample statistics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.families import LoadedModel, get_family
from engine.models.dcgan import DCGANConfig

GENERATORS = ("avgG", "netG")


def detect(obj: Any) -> bool:
    return isinstance(obj, Mapping) and "config" in obj and isinstance(obj.get("netG"), Mapping)


def _state(obj: Mapping[str, Any], which: str, path: Path) -> Mapping[str, torch.Tensor]:
    if which not in GENERATORS:
        raise ValueError(f"which must be one of {GENERATORS}, got {which!r}")
    sd = obj.get(which)
    if sd is None and which == "avgG":
        sd = obj.get("netG")
    if not isinstance(sd, Mapping) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(path, f"GAN zoo checkpoint has no usable '{which}' state dict")
    return {k.removeprefix("module."): v for k, v in sd.items()}


def load(path: Path, obj: Any, which: str = "avgG", bn_stats: str = "batch") -> LoadedModel:
    """Build the LatentLab model for a GAN zoo checkpoint (DCGAN or PGAN generator)."""
    which_used = which if obj.get(which) is not None else "netG"
    sd = _state(obj, which, path)
    w = sd.get("formatLayer.weight")
    if w is not None and w.ndim == 4:
        model = load_dcgan(path, sd, obj["config"], bn_stats)
    elif "formatLayer.module.weight" in sd:
        from engine.checkpoints.gan_zoo_pgan import load_pgan

        model = load_pgan(path, sd, obj["config"])
    else:
        raise CheckpointError(path, "GAN zoo checkpoint is neither a DCGAN nor a PGAN generator (no formatLayer)")
    model.meta["generator"] = which_used
    return model


def _cfg(config: Any, name: str, default: Any = None) -> Any:
    return getattr(config, name, default) if config is not None else default


def load_dcgan(path: Path, sd: Mapping[str, torch.Tensor], config: Any, bn_stats: str = "batch") -> LoadedModel:
    """A GAN zoo ``DCGAN`` generator (``GNet``) as a LatentLab ``dcgan`` model."""
    fmt = sd["formatLayer.weight"]  # [z_dim, C0, 4, 4], a ConvTranspose2d without bias
    z_dim, c0 = int(fmt.shape[0]), int(fmt.shape[1])
    ups = sorted(int(m.group(1)) for k in sd if (m := re.fullmatch(r"main\.convTranspose(\d+)\.weight", k)))
    if ups != list(range(1, len(ups) + 1)) or "main.outlayer.weight" not in sd:
        raise CheckpointError(path, "GAN zoo DCGAN generator: expected main.convTranspose1..N and main.outlayer")
    depth = len(ups)
    out_w = sd["main.outlayer.weight"]  # [ngf, C, 4, 4]
    ngf, channels = int(out_w.shape[0]), int(out_w.shape[1])
    if c0 != ngf * 2**depth:
        raise CheckpointError(
            path, f"GAN zoo DCGAN generator: {c0} input channels do not halve to {ngf} in {depth} steps"
        )
    dim_g, depth_cfg = _cfg(config, "dimG"), _cfg(config, "depth")
    if (dim_g is not None and int(dim_g) != ngf) or (depth_cfg is not None and int(depth_cfg) != depth):
        raise CheckpointError(path, f"config says dimG={dim_g}, depth={depth_cfg} but the tensors say {ngf}, {depth}")
    category_dim = int(_cfg(config, "categoryVectorDim", 0) or 0)
    loss = str(_cfg(config, "lossCriterion", "DCGAN"))
    cfg = DCGANConfig(
        resolution=4 * 2 ** (depth + 1),
        img_channels=channels,
        z_dim=z_dim - category_dim,
        c_dim=category_dim,
        ngf=ngf,
        ndf=ngf,
        max_channels=max(c0, 1),
        g_norm="batch",
        bn_stats=bn_stats,
        out_activation="tanh" if loss == "DCGAN" else "none",
    )
    family = get_family("dcgan")
    module = family.build(cfg)
    mapping = {"input.weight": "formatLayer.weight", "output.weight": "main.outlayer.weight"}
    for stat in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        mapping[f"input_norm.{stat}"] = f"main.batchNorm0.{stat}"
        for i in range(depth):
            mapping[f"norms.{i}.{stat}"] = f"main.batchNorm{i + 1}.{stat}"
    for i in range(depth):
        mapping[f"ups.{i}.weight"] = f"main.convTranspose{i + 1}.weight"
    own = module.state_dict()
    full = {}
    for name, ref in own.items():
        src = mapping.get(name)
        if src is None or src not in sd:
            raise CheckpointError(path, f"GAN zoo DCGAN generator lacks {src or name}")
        t = sd[src]
        if tuple(t.shape) != tuple(ref.shape):
            raise CheckpointError(path, f"{src} has shape {tuple(t.shape)}, expected {tuple(ref.shape)}")
        full[name] = t.to(ref.dtype)
    module.load_state_dict(full, strict=True)
    meta = {
        "source_family": "GAN zoo DCGAN",
        "bn_stats": bn_stats,
        "classes": [f"class {i}" for i in range(category_dim)],
    }
    return family.wrap(module, cfg, meta)


__all__ = ["GENERATORS", "detect", "load", "load_dcgan"]
