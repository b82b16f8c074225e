"""NVlabs stylegan2-ada-pytorch / stylegan3 network pickles → the native StyleGAN2 / StyleGAN3 generator.

The pickle is read with :mod:`engine.checkpoints.safe_unpickle`, which turns every
``torch_utils.persistence`` object into an inert :class:`PersistentObject` (class name + state);
the embedded source is never executed. We take ``G_ema`` (else ``G``), flatten its
``_parameters``/``_buffers``/``_modules`` into ``synthesis.b4.conv1.weight``-style names, read the
architecture from ``_init_kwargs`` and the tensor shapes, and map the tensors to native names.
Only the 'skip' StyleGAN2 generator is supported; other architectures are refused. StyleGAN3
generators (an alias-free synthesis network) go to :mod:`engine.checkpoints.nvlabs_stylegan3`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.foreign import W_AVG_SAMPLES, build_stylegan2, estimate_w_avg
from engine.checkpoints.nvlabs_tree import flatten
from engine.checkpoints.safe_unpickle import PersistentObject
from engine.families import LoadedModel
from engine.models.stylegan2 import StyleGAN2Config
from engine.nn.fir import make_fir

log = logging.getLogger(__name__)

GENERATOR_KEYS = ("G_ema", "G")
DEFAULT_LR_MULTIPLIER = 0.01


def _generator(obj: Any) -> tuple[str, PersistentObject] | None:
    if isinstance(obj, PersistentObject) and obj.class_name == "Generator":
        return "Generator", obj
    if isinstance(obj, Mapping):
        for key in GENERATOR_KEYS:
            g = obj.get(key)
            if isinstance(g, PersistentObject):
                return key, g
    return None


def detect(obj: Any) -> bool:
    """True if ``obj`` (a safely unpickled raw pickle) is an NVlabs network snapshot."""
    return _generator(obj) is not None


def _kw(d: Any, name: str, default: Any = None) -> Any:
    return d.get(name, default) if isinstance(d, Mapping) else default


def _modules(obj: PersistentObject) -> dict[str, Any]:
    return dict(obj.state.get("_modules") or {})


def infer_config(path: Path, g: PersistentObject, tensors: Mapping[str, torch.Tensor]) -> StyleGAN2Config:
    """The native config of an NVlabs generator, from ``_init_kwargs``, attributes and shapes."""
    st = g.state
    kw = st.get("_init_kwargs") or {}
    mkw = _kw(kw, "mapping_kwargs", {}) or {}
    skw = _kw(kw, "synthesis_kwargs", {}) or {}

    def attr(name: str) -> Any:
        v = _kw(kw, name, st.get(name))
        if v is None:
            raise CheckpointError(path, f"generator has no '{name}'")
        return int(v)

    z_dim, c_dim, w_dim = attr("z_dim"), attr("c_dim"), attr("w_dim")
    resolution, img_channels = attr("img_resolution"), attr("img_channels")
    if z_dim <= 0:
        raise CheckpointError(path, "generators without z (z_dim=0) are not supported")

    mods = _modules(g)
    if "synthesis" not in mods or "mapping" not in mods:
        raise CheckpointError(path, f"generator has modules {sorted(mods)}, expected mapping and synthesis")
    syn, mapping = mods["synthesis"], mods["mapping"]
    syn_names = list(_modules(syn))
    if "input" in syn_names or any(re.fullmatch(r"L\d+_\d+_\d+", n) for n in syn_names):
        raise CheckpointError(path, "StyleGAN3 (alias-free) synthesis networks are not supported yet")
    expected = [f"b{r}" for r in (2**i for i in range(2, resolution.bit_length()))]
    if syn_names != expected:
        raise CheckpointError(path, f"unexpected synthesis blocks {syn_names} for resolution {resolution}")

    architecture = _kw(skw, "architecture", "skip")
    block_archs = {_modules(syn)[n].state.get("architecture", architecture) for n in syn_names}
    if architecture != "skip" or block_archs != {"skip"}:
        archs = sorted({architecture, *block_archs} - {"skip"})
        raise CheckpointError(path, f"generator architecture {archs} is not supported (only 'skip')")

    channels = []
    for n in syn_names:
        w = tensors.get(f"synthesis.{n}.conv1.weight")
        if w is None or w.ndim != 4 or tuple(w.shape[2:]) != (3, 3):
            raise CheckpointError(path, f"synthesis.{n}.conv1 is not a 3×3 modulated conv")
        channels.append(int(w.shape[0]))
    rgb = tensors.get(f"synthesis.{syn_names[-1]}.torgb.weight")
    if rgb is None or int(rgb.shape[0]) != img_channels:
        raise CheckpointError(path, "toRGB layers do not match img_channels")

    num_layers = int(_kw(mkw, "num_layers", mapping.state.get("num_layers", 8)))
    lr_mul = _kw(mkw, "lr_multiplier")
    if lr_mul is None:
        fc0 = _modules(mapping).get("fc0")
        lr_mul = fc0.state.get("bias_gain", DEFAULT_LR_MULTIPLIER) if isinstance(fc0, PersistentObject) else None
    lr_mul = float(lr_mul if lr_mul is not None else DEFAULT_LR_MULTIPLIER)
    conv_clamp = _kw(skw, "conv_clamp")
    cfg = StyleGAN2Config(
        resolution=resolution,
        img_channels=img_channels,
        z_dim=z_dim,
        w_dim=w_dim,
        c_dim=c_dim,
        mapping_layers=num_layers,
        mapping_lr_mul=lr_mul,
        channels=tuple(channels),
        channel_base=int(_kw(skw, "channel_base", 32768)),
        channel_max=int(_kw(skw, "channel_max", 512)),
        conv_clamp=float(conv_clamp) if conv_clamp is not None else None,
        w_avg_beta=float(mapping.state.get("w_avg_beta", 0.995) or 0.995),
    )
    num_ws = st.get("num_ws")
    if num_ws is not None and int(num_ws) != cfg.num_ws:
        raise CheckpointError(path, f"generator has {num_ws} ws, a 'skip' StyleGAN2 of this size has {cfg.num_ws}")
    return cfg


def discriminator_config(d: Any, resolution: int) -> dict[str, Any] | None:
    """The pickled D's channels per resolution 4..R, minibatch-stddev group and architecture, from its
    modules' attributes and tensor shapes; None when there is no D, or one LatentLab cannot describe
    (not the 'resnet' architecture, no minibatch-stddev layer)."""
    if not isinstance(d, PersistentObject) or d.class_name != "Discriminator":
        return None
    blocks = _modules(d)
    res = [2**i for i in range(2, resolution.bit_length())]
    try:
        epilogue = _modules(blocks["b4"])
        group = epilogue["mbstd"].state.get("group_size")
        channels = [int(epilogue["conv"].state["_parameters"]["weight"].shape[0])]
        archs = {blocks[f"b{r}"].state.get("architecture") for r in res[1:]}
        for r in res[1:]:
            channels.append(int(_modules(blocks[f"b{r}"])["conv0"].state["_parameters"]["weight"].shape[0]))
    except (KeyError, AttributeError, TypeError, IndexError):
        return None
    if archs != {"resnet"} or not isinstance(group, int) or group < 1:
        return None
    return {"d_channels": tuple(channels), "mbstd_group_size": group, "architecture": "resnet"}


_SYN = re.compile(r"synthesis\.b(\d+)\.(.+)")
_FC = re.compile(r"mapping\.fc(\d+)\.(weight|bias)")


def convert_state(path: Path, tensors: Mapping[str, torch.Tensor], cfg: StyleGAN2Config) -> dict[str, torch.Tensor]:
    """Map NVlabs tensor names to native names; resample filters are checked and dropped."""
    block_of = {4 * 2**i: i for i in range(len(cfg.channels))}
    fir = make_fir()
    out: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    for name, t in tensors.items():
        t = t.detach().float()
        if name.endswith("resample_filter"):
            if t.shape != fir.shape or not torch.allclose(t, fir, atol=1e-6):
                raise CheckpointError(path, f"'{name}' is not the [1,3,3,1] filter LatentLab implements")
            continue
        m = _SYN.fullmatch(name)
        if m and int(m.group(1)) in block_of:
            out[f"synthesis.blocks.{block_of[int(m.group(1))]}.{m.group(2)}"] = t
            continue
        m = _FC.fullmatch(name)
        if m:
            out[f"mapping.fcs.{m.group(1)}.{m.group(2)}"] = t
            continue
        if name in ("mapping.w_avg", "mapping.embed.weight", "mapping.embed.bias"):
            out[name] = t
            continue
        unknown.append(name)
    if unknown:
        shown = ", ".join(unknown[:6]) + (", …" if len(unknown) > 6 else "")
        raise CheckpointError(path, f"generator has {len(unknown)} tensors LatentLab does not implement ({shown})")
    return out


def load(path: str | Path, obj: Any) -> LoadedModel:
    """Build the native StyleGAN2 model from a safely unpickled NVlabs snapshot ``obj``."""
    path = Path(path)
    found = _generator(obj)
    if found is None:
        raise CheckpointError(path, "pickle holds no NVlabs generator (no G_ema or G)")
    key, g = found
    if g.class_name != "Generator":
        raise CheckpointError(path, f"{key} is a {g.class_name}, not a StyleGAN2 Generator")
    if key != "G_ema":
        log.warning("%s: no G_ema in the snapshot; loading %s (the training copy)", path.name, key)
    from engine.checkpoints import nvlabs_stylegan3

    if nvlabs_stylegan3.is_stylegan3(g):
        return nvlabs_stylegan3.load_generator(path, key, g, obj.get("D") if isinstance(obj, Mapping) else None)
    tensors = flatten(g, path)
    cfg = infer_config(path, g, tensors)
    native = convert_state(path, tensors, cfg)
    meta: dict[str, Any] = {
        "classes": [f"class {i}" for i in range(cfg.c_dim)],
        "generator": key,
        "w_avg": "stored (mapping.w_avg)",
    }
    d = discriminator_config(obj.get("D") if isinstance(obj, Mapping) else None, cfg.resolution)
    if not (isinstance(obj, Mapping) and isinstance(obj.get("D"), PersistentObject)):
        meta["discriminator"] = "not in the file"
    elif d is not None:  # what the pickled D is (its tensors are not read: shapes only)
        cfg = dataclasses.replace(cfg, d_channels=d["d_channels"], mbstd_group_size=d["mbstd_group_size"])
        meta["discriminator"] = f"read ({d['architecture']}, minibatch-stddev group {d['mbstd_group_size']})"
    model = build_stylegan2(path, cfg, native, meta)
    if "mapping.w_avg" not in native:
        model.module.mapping.w_avg.copy_(estimate_w_avg(model))
        model.meta["w_avg"] = f"estimated (mean of {W_AVG_SAMPLES} mapped z)"
    return model


__all__ = ["convert_state", "detect", "flatten", "infer_config", "load"]
