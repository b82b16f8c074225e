"""The discriminator of an NVlabs network pickle (stylegan2-ada-pytorch or stylegan3 snapshot).

Both code bases train with the StyleGAN2 residual discriminator (``training.networks_stylegan2.
Discriminator``, architecture 'resnet'); it is rebuilt here as
:class:`~engine.models.label_mapping_discriminator.LabelMappingDiscriminator` from the safely
unpickled snapshot: widths from the stored weight shapes, minibatch-stddev group, label mapping
depth and clamp from ``_init_kwargs`` and the layers' attributes. Other architectures ('skip',
'orig') and a minibatch-stddev with more than one channel are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.nvlabs_tree import flatten
from engine.checkpoints.safe_unpickle import PersistentObject
from engine.models.label_mapping_discriminator import LabelMappingDiscriminator
from engine.models.stylegan2 import StyleGAN2Config, resolutions
from engine.nn.fir import make_fir


@dataclass(frozen=True)
class DiscriminatorSpec:
    """What a pickled discriminator is: enough to build the native module that holds its weights."""

    resolution: int
    img_channels: int
    c_dim: int
    channels: tuple[int, ...]  # per resolution 4..R
    mbstd_group_size: int
    mapping_layers: int
    conv_clamp: float | None

    def config(self) -> StyleGAN2Config:
        return StyleGAN2Config(
            resolution=self.resolution,
            img_channels=self.img_channels,
            c_dim=self.c_dim,
            channels=self.channels,
            d_channels=self.channels,
            mbstd_group_size=self.mbstd_group_size,
            conv_clamp=self.conv_clamp,
        )


def _modules(obj: PersistentObject) -> dict[str, Any]:
    return dict(obj.state.get("_modules") or {})


def _get(d: Any, name: str, default: Any = None) -> Any:
    return d.get(name, default) if isinstance(d, Mapping) else default


def infer_spec(path: Path, d: PersistentObject, tensors: Mapping[str, torch.Tensor]) -> DiscriminatorSpec:
    """The discriminator's layout, from ``_init_kwargs``, attributes and tensor shapes."""
    if d.class_name != "Discriminator":
        raise CheckpointError(path, f"D is a {d.class_name}, not an NVlabs Discriminator")
    kw = d.state.get("_init_kwargs") or {}

    def attr(name: str) -> int:
        v = _get(kw, name, d.state.get(name))
        if v is None:
            raise CheckpointError(path, f"discriminator has no '{name}'")
        return int(v)

    res, img_channels, c_dim = attr("img_resolution"), attr("img_channels"), attr("c_dim")
    try:
        rs = resolutions(res)
    except ValueError as e:
        raise CheckpointError(path, f"discriminator: {e}") from e
    arch = _get(kw, "architecture", "resnet")
    mods = _modules(d)
    blocks = [f"b{r}" for r in reversed(rs[1:])]
    if any(isinstance(mods.get(b), PersistentObject) and mods[b].state.get("architecture") not in (None, "resnet")
           for b in blocks) or arch != "resnet":  # fmt: skip
        raise CheckpointError(path, f"discriminator architecture '{arch}' is not supported (only 'resnet')")
    expected = {*blocks, "b4", *(["mapping"] if c_dim > 0 else [])}
    if set(mods) != expected:
        raise CheckpointError(path, f"discriminator has modules {sorted(mods)}, expected {sorted(expected)}")
    epi = _get(kw, "epilogue_kwargs", {}) or {}
    mbstd = _modules(mods["b4"]).get("mbstd")
    group = _get(epi, "mbstd_group_size", mbstd.state.get("group_size", 4) if mbstd is not None else 4)
    num_channels = _get(epi, "mbstd_num_channels", mbstd.state.get("num_channels", 1) if mbstd is not None else 1)
    if int(num_channels) != 1 or group is None:
        raise CheckpointError(
            path, "discriminator minibatch-stddev with several channels or one group is not supported"
        )
    ch: dict[int, int] = {}
    for r in rs[1:]:
        w = tensors.get(f"b{r}.conv0.weight")
        if w is None or w.ndim != 4:
            raise CheckpointError(path, f"discriminator block b{r} has no conv0")
        ch[r] = int(w.shape[0])
    conv = tensors.get("b4.conv.weight")
    if conv is None or conv.ndim != 4:
        raise CheckpointError(path, "discriminator epilogue has no conv")
    ch[4] = int(conv.shape[0])
    mapping_layers = 0
    if c_dim > 0:
        mapping_layers = len([k for k in tensors if re.fullmatch(r"mapping\.fc\d+\.weight", k)])
        cmap = tensors.get("mapping.embed.weight")
        if cmap is None or int(cmap.shape[0]) != ch[4]:
            raise CheckpointError(path, "discriminator label mapping width differs from its last block (cmap_dim)")
    convs = [m for b in (*blocks, "b4") for m in _modules(mods[b]).values() if isinstance(m, PersistentObject)]
    clamps = {
        m.state.get("conv_clamp")
        for m in convs
        if m.class_name == "Conv2dLayer" and m.state.get("activation") == "lrelu"
    }
    if len(clamps) > 1:
        raise CheckpointError(path, f"discriminator layers use different clamps {sorted(map(str, clamps))}")
    clamp = clamps.pop() if clamps else _get(kw, "conv_clamp")
    return DiscriminatorSpec(
        resolution=res,
        img_channels=img_channels,
        c_dim=c_dim,
        channels=tuple(ch[r] for r in rs),
        mbstd_group_size=int(group),
        mapping_layers=mapping_layers,
        conv_clamp=None if clamp is None else float(clamp),
    )


_BLOCK = re.compile(r"b(\d+)\.(.+)")
_FC = re.compile(r"mapping\.fc(\d+)\.(weight|bias)")


def convert_state(path: Path, tensors: Mapping[str, torch.Tensor], spec: DiscriminatorSpec) -> dict[str, torch.Tensor]:
    """NVlabs discriminator names → :class:`LabelMappingDiscriminator` names (resample filters must be [1,3,3,1])."""
    block_index = {r: i for i, r in enumerate(reversed(resolutions(spec.resolution)[1:]))}
    fir = make_fir()
    out: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        t = t.detach().float()
        if name.endswith("resample_filter") and (t.shape != fir.shape or not torch.allclose(t, fir, atol=1e-6)):
            raise CheckpointError(path, f"discriminator '{name}' is not the [1,3,3,1] filter LatentLab implements")
        m = _BLOCK.fullmatch(name)
        if m and int(m.group(1)) == 4:
            out[m.group(2)] = t  # epilogue: conv, fc, out
        elif m and int(m.group(1)) in block_index:
            out[f"blocks.{block_index[int(m.group(1))]}.{m.group(2)}"] = t
        elif (m := _FC.fullmatch(name)) is not None:
            out[f"mapping.fcs.{m.group(1)}.{m.group(2)}"] = t
        else:
            out[name] = t  # mapping.embed.*; anything else is refused by the strict load
    return out


def load_discriminator(path: str | Path, d: PersistentObject) -> tuple[LabelMappingDiscriminator, DiscriminatorSpec]:
    """The native discriminator (eval mode) holding the weights of the pickled NVlabs ``d``."""

    path = Path(path)
    tensors = flatten(d, path)
    spec = infer_spec(path, d, tensors)
    module = LabelMappingDiscriminator(spec.config(), spec.mapping_layers)
    own = module.state_dict()
    # Only the downsampling convs keep their (fixed, checked) filter as a buffer here.
    native = {k: v for k, v in convert_state(path, tensors, spec).items() if k in own or "resample_filter" not in k}
    missing, extra = sorted(set(own) - set(native)), sorted(set(native) - set(own))
    if missing or extra:
        what = f"lacks {missing[0]}" if missing else f"has {extra[0]}, which LatentLab does not implement"
        raise CheckpointError(path, f"discriminator {what}")
    for k, ref in own.items():
        if tuple(native[k].shape) != tuple(ref.shape):
            raise CheckpointError(
                path, f"discriminator {k} has shape {tuple(native[k].shape)}, expected {tuple(ref.shape)}"
            )
    module.load_state_dict(native, strict=True)
    return module.eval().requires_grad_(False), spec


__all__ = ["DiscriminatorSpec", "convert_state", "infer_spec", "load_discriminator"]
