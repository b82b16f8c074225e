"""junyanz/pytorch-CycleGAN-and-pix2pix generators: ``latest_net_G.pth``, ``latest_net_G_A.pth``, ``…_G_B.pth``.

Those files are plain state dicts (``torch.save(net.state_dict())``); the architecture is inferred
here from the tensor names and shapes, so the ``--netG``/``--ngf``/``--norm`` mismatch errors of
the original project cannot happen:

- ResNet generators (``model.1.weight`` 7×7, ``model.N.conv_block.*``) become a ``cyclegan``
  model: ngf, input/output channels, down-samplings, residual blocks, dropout (``conv_block.6``)
  and norm (batch when norm tensors exist; instance when convs carry biases; none otherwise). A
  ``…_G_A`` file translates AtoB and a ``…_G_B`` file BtoA; when the other one lies beside it with
  the same architecture, both directions are loaded into one model.
- U-Net generators (``model.model.0.weight``) become a ``pix2pix`` model: ngf, channels,
  ``num_downs`` (nesting depth) and norm. Dropout has no tensors; pix2pix's default (on) is assumed,
  which matters only for training, because inference runs in eval mode (``test.py --eval``).

InstanceNorm running statistics in pre-0.4 checkpoints are dropped, as upstream does on load.
Discriminators (``latest_net_D*.pth``) are recognised and refused with a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.families import LoadedModel, get_family
from engine.models.cyclegan import CycleGANConfig
from engine.models.pix2pix import Pix2PixConfig

_BLOCK = re.compile(r"model\.(\d+)\.conv_block\.")
_SIDE = re.compile(r"^(?P<stem>.*_net_G)_(?P<side>[AB])$")


def _state(obj: Any) -> dict[str, torch.Tensor] | None:
    if not isinstance(obj, Mapping) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        return None
    return {str(k).removeprefix("module."): v for k, v in obj.items()}


def _kind(sd: Mapping[str, torch.Tensor]) -> str | None:
    w0 = sd.get("model.model.0.weight")
    if w0 is not None and w0.ndim == 4 and "model.model.1.model.1.weight" in sd:
        return "unet"
    w1 = sd.get("model.1.weight")
    if w1 is not None and w1.ndim == 4 and w1.shape[-1] == 7 and any(_BLOCK.match(k) for k in sd):
        return "resnet"
    d0 = sd.get("model.0.weight")
    if d0 is not None and d0.ndim == 4 and d0.shape[-1] == 4 and "model.2.weight" in sd and "model.1.weight" not in sd:
        return "discriminator"
    return None


def detect(obj: Any) -> bool:
    sd = _state(obj)
    return sd is not None and _kind(sd) is not None


def _norm(sd: Mapping[str, torch.Tensor], norm_prefix: str, conv_prefix: str) -> str:
    if f"{norm_prefix}.weight" in sd:
        return "batch"
    return "instance" if f"{conv_prefix}.bias" in sd else "none"


def _drop_instance_stats(sd: dict[str, torch.Tensor], own: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Pre-0.4 InstanceNorm running stats have no place in the module: drop them (as upstream)."""
    stat = ("running_mean", "running_var", "num_batches_tracked")
    return {k: v for k, v in sd.items() if k in own or not k.endswith(stat)}


def _copy_into(path: Path, module: torch.nn.Module, sd: Mapping[str, torch.Tensor], prefix: str = "") -> None:
    own = module.state_dict()
    mine = {k[len(prefix) :]: v for k, v in own.items() if k.startswith(prefix)}
    sd = _drop_instance_stats(dict(sd), mine)
    missing = sorted(set(mine) - set(sd))
    extra = sorted(set(sd) - set(mine))
    if missing or extra:
        what = f"lacks {', '.join(missing[:3])}" if missing else f"has unexpected {', '.join(extra[:3])}"
        raise CheckpointError(path, f"generator tensors do not fit the inferred architecture: {what}")
    full = dict(own)
    for k, ref in mine.items():
        t = sd[k]
        if tuple(t.shape) != tuple(ref.shape):
            raise CheckpointError(path, f"{k} has shape {tuple(t.shape)}, expected {tuple(ref.shape)}")
        full[prefix + k] = t.to(ref.dtype)
    module.load_state_dict(full, strict=True)


def resnet_config(path: Path, sd: Mapping[str, torch.Tensor], directions: tuple[str, ...]) -> CycleGANConfig:
    """The :class:`CycleGANConfig` of a ResnetGenerator state dict."""
    w1 = sd["model.1.weight"]
    ngf, channels = int(w1.shape[0]), int(w1.shape[1])
    n_down, idx = 0, 4
    while f"model.{idx}.weight" in sd and f"model.{idx}.conv_block.1.weight" not in sd:
        w = sd[f"model.{idx}.weight"]
        if w.ndim != 4 or w.shape[-1] != 3 or int(w.shape[0]) != ngf * 2 ** (n_down + 1):
            break
        n_down, idx = n_down + 1, idx + 3
    blocks = sorted(int(m.group(1)) for k in sd if (m := _BLOCK.match(k)))
    blocks = sorted(set(blocks))
    if not blocks or blocks != list(range(idx, idx + len(blocks))):
        raise CheckpointError(path, "ResNet generator: residual blocks are not consecutive after the down-sampling")
    dropout = f"model.{blocks[0]}.conv_block.6.weight" in sd
    n_blocks = len(blocks)
    cfg = CycleGANConfig(
        resolution=256 if n_blocks >= 9 else 128,
        img_channels=channels,
        ngf=ngf,
        n_blocks=n_blocks,
        n_downsampling=n_down,
        norm=_norm(sd, "model.2", "model.1"),
        dropout=dropout,
        directions=directions,
    )
    out = sd.get(f"model.{idx + n_blocks + 3 * n_down + 1}.weight")
    if out is None or int(out.shape[0]) != channels:
        raise CheckpointError(path, "ResNet generator: output layer missing or its channels differ from the input's")
    return cfg


def unet_config(path: Path, sd: Mapping[str, torch.Tensor]) -> Pix2PixConfig:
    """The :class:`Pix2PixConfig` of a UnetGenerator state dict."""
    w0, up = sd["model.model.0.weight"], sd.get("model.model.3.weight")
    if up is None:
        raise CheckpointError(path, "U-Net generator: outermost up-convolution model.model.3 missing")
    ngf, in_ch, out_ch = int(w0.shape[0]), int(w0.shape[1]), int(up.shape[1])
    depth = 0
    while "model.model.1" + ".model.3" * (depth + 1) + ".model.1.weight" in sd:
        depth += 1
    num_downs = depth + 2
    if num_downs < 5:
        raise CheckpointError(path, f"U-Net generator with {num_downs} levels (pix2pix needs at least 5)")
    return Pix2PixConfig(
        resolution=2**num_downs,
        img_channels=out_ch,
        in_channels=in_ch if in_ch != out_ch else 0,
        num_downs=num_downs,
        ngf=ngf,
        norm=_norm(sd, "model.model.1.model.2", "model.model.1.model.1"),
        dropout=True,
    )


def _side(path: Path) -> tuple[str, str] | None:
    m = _SIDE.match(path.stem)
    return (m.group("stem"), m.group("side")) if m else None


def _sibling(path: Path) -> tuple[Path, dict[str, torch.Tensor]] | None:
    """The other direction's generator file beside ``path`` (``…_G_A`` ↔ ``…_G_B``), when readable."""
    from engine.checkpoints.safe_unpickle import load_torch

    side = _side(path)
    if side is None:
        return None
    other = path.with_name(f"{side[0]}_{'B' if side[1] == 'A' else 'A'}{path.suffix}")
    if not other.is_file():
        return None
    try:
        sd = _state(load_torch(other))
    except CheckpointError:
        return None
    return (other, sd) if sd is not None and _kind(sd) == "resnet" else None


def load(path: Path, obj: Any, pair: bool = True) -> LoadedModel:
    """Build the LatentLab model for a pytorch-CycleGAN-and-pix2pix generator state dict.

    ``pair``: also load the opposite direction from a matching ``…_G_B``/``…_G_A`` file beside it.
    """
    sd = _state(obj)
    if sd is None:
        raise CheckpointError(path, "not a state dict of tensors")
    kind = _kind(sd)
    if kind == "discriminator":
        raise CheckpointError(
            path, "this is a pytorch-CycleGAN-and-pix2pix discriminator; open the generator (latest_net_G*.pth)"
        )
    meta: dict[str, Any] = {"source_family": "pytorch-CycleGAN-and-pix2pix", "classes": []}
    if kind == "unet":
        cfg = unet_config(path, sd)
        family = get_family("pix2pix")
        module = family.build(cfg)
        _copy_into(path, module, sd)
        meta["architecture"] = f"unet (num_downs={cfg.num_downs}, ngf={cfg.ngf}, norm={cfg.norm})"
        return family.wrap(module, cfg, meta)
    side = _side(path)
    own_dir = "BtoA" if side is not None and side[1] == "B" else "AtoB"
    files = {own_dir: (path, sd)}
    if pair and (sib := _sibling(path)) is not None:
        other_dir = "AtoB" if own_dir == "BtoA" else "BtoA"
        if resnet_config(sib[0], sib[1], (other_dir,)) == resnet_config(path, sd, (other_dir,)):
            files[other_dir] = sib
    directions = tuple(d for d in ("AtoB", "BtoA") if d in files)
    cfg = resnet_config(path, sd, directions)
    family = get_family("cyclegan")
    module = family.build(cfg)
    for d, (p, tensors) in files.items():
        _copy_into(p, module, tensors, prefix=f"generators.{d}.")
    meta["architecture"] = (
        f"resnet ({cfg.n_blocks} blocks, {cfg.n_downsampling} down-samplings, ngf={cfg.ngf}, norm={cfg.norm}"
        f"{', dropout' if cfg.dropout else ''})"
    )
    meta["files"] = {d: p.name for d, (p, _) in files.items()}
    return family.wrap(module, cfg, meta)


__all__ = ["detect", "load", "resnet_config", "unet_config"]
