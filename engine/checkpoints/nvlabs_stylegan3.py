"""NVlabs stylegan3 network pickles (configs T and R) → the native StyleGAN3 generator.

Reached through :mod:`engine.checkpoints.nvlabs` when a snapshot's synthesis network has an
``input`` and ``L{i}_{size}_{channels}`` layers. The architecture is read from the generator's
``_init_kwargs`` and attributes (resolution, mapping, ``channel_base``, ``conv_kernel``, radial
filters, margins, …) and the widths from the stored weight shapes; the layer plan this gives (names,
sizes, sampling rates, resampling factors, paddings, input band) must agree with every attribute
the pickle stores, else the file is refused. Filters, ``magnitude_ema`` and the input's
``transform``/``freqs``/``phases`` buffers are taken as stored.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.nvlabs_tree import flatten
from engine.checkpoints.safe_unpickle import PersistentObject
from engine.families import LoadedModel, get_family
from engine.models.stylegan3 import StyleGAN3Config
from engine.models.stylegan3_layout import plan

log = logging.getLogger(__name__)

LAYER_NAME = re.compile(r"L(\d+)_(\d+)_(\d+)")
#: SynthesisNetwork / SynthesisLayer keyword arguments that map one to one onto the native config.
_SYNTHESIS_KWARGS = (
    "channel_base",
    "channel_max",
    "num_layers",
    "num_critical",
    "first_cutoff",
    "first_stopband",
    "last_stopband_rel",
    "margin_size",
    "output_scale",
    "conv_kernel",
    "filter_size",
    "lrelu_upsampling",
    "use_radial_filters",
    "conv_clamp",
    "magnitude_ema_beta",
)


def _modules(obj: PersistentObject) -> dict[str, Any]:
    return dict(obj.state.get("_modules") or {})


def is_stylegan3(g: PersistentObject) -> bool:
    """True if the NVlabs generator ``g`` has a StyleGAN3 (alias-free) synthesis network."""
    syn = _modules(g).get("synthesis")
    if not isinstance(syn, PersistentObject):
        return False
    names = list(_modules(syn))
    return "input" in names or any(LAYER_NAME.fullmatch(n) for n in names)


def _get(d: Any, name: str, default: Any = None) -> Any:
    return d.get(name, default) if isinstance(d, Mapping) else default


def _plain(v: Any) -> Any:
    """numpy scalars/arrays from the pickle → Python numbers/lists."""
    if isinstance(v, np.ndarray):
        return [x.item() for x in np.asarray(v).ravel()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _same(a: Any, b: Any) -> bool:
    a, b = _plain(a), _plain(b)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not isinstance(a, (list, tuple)):
            a = [a] * len(b)
        if not isinstance(b, (list, tuple)):
            b = [b] * len(a)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def infer_config(path: Path, g: PersistentObject, tensors: Mapping[str, torch.Tensor]) -> StyleGAN3Config:
    """The native config of an NVlabs StyleGAN3 generator, checked against everything the pickle stores."""
    st = g.state
    kw = st.get("_init_kwargs") or {}
    mods = _modules(g)
    syn, mapping = mods.get("synthesis"), mods.get("mapping")
    if not isinstance(syn, PersistentObject) or not isinstance(mapping, PersistentObject):
        raise CheckpointError(path, "StyleGAN3 generator lacks its mapping or synthesis network")
    skw = dict(syn.state.get("_init_kwargs") or {})
    mkw = _get(kw, "mapping_kwargs", {}) or {}

    def attr(name: str) -> int:
        v = _get(kw, name, st.get(name))
        if v is None:
            raise CheckpointError(path, f"StyleGAN3 generator has no '{name}'")
        return int(v)

    fields: dict[str, Any] = {
        "resolution": attr("img_resolution"),
        "img_channels": attr("img_channels"),
        "z_dim": attr("z_dim"),
        "w_dim": attr("w_dim"),
        "c_dim": attr("c_dim"),
    }
    if fields["z_dim"] <= 0:
        raise CheckpointError(path, "generators without z (z_dim=0) are not supported")
    for name in _SYNTHESIS_KWARGS:
        v = skw.get(name, syn.state.get(name))
        if v is not None:
            fields[name] = _plain(v)
    fields["conv_clamp"] = None if fields.get("conv_clamp", 256) is None else float(fields.get("conv_clamp", 256))
    fields["mapping_layers"] = int(_get(mkw, "num_layers", mapping.state.get("num_layers", 2)))
    fc0 = _modules(mapping).get("fc0")
    lr = _get(mkw, "lr_multiplier")
    if lr is None and isinstance(fc0, PersistentObject):
        lr = fc0.state.get("bias_gain")
    fields["mapping_lr_mul"] = float(_plain(lr) if lr is not None else 0.01)
    fields["w_avg_beta"] = float(_plain(mapping.state.get("w_avg_beta", 0.998)) or 0.998)

    # Widths from the stored weights, in the order of the synthesis layer list.
    names = [n for n in _modules(syn) if n != "input"]
    stored_order = syn.state.get("layer_names")
    if stored_order is not None and list(stored_order) != names:
        raise CheckpointError(path, "StyleGAN3 layer_names do not match its layer modules")
    channels = []
    for i, n in enumerate(names):
        m = LAYER_NAME.fullmatch(n)
        if m is None or int(m.group(1)) != i:
            raise CheckpointError(path, f"unexpected StyleGAN3 synthesis module '{n}' (expected L{i}_…)")
        w = tensors.get(f"synthesis.{n}.weight")
        if w is None or w.ndim != 4:
            raise CheckpointError(path, f"synthesis.{n} has no 4-D weight")
        channels.append(int(w.shape[0]))
    if "num_layers" not in fields:
        fields["num_layers"] = len(names) - 1
    fields["channels"] = tuple(channels)
    try:
        cfg = StyleGAN3Config(**fields)
        inp, specs = plan(cfg)
    except (TypeError, ValueError) as e:
        raise CheckpointError(path, f"unsupported StyleGAN3 configuration ({e})") from e
    _check_plan(path, syn, names, inp, specs, cfg)
    num_ws = st.get("num_ws")
    if num_ws is not None and int(num_ws) != cfg.num_ws:
        raise CheckpointError(path, f"StyleGAN3 generator has {num_ws} ws, its layers need {cfg.num_ws}")
    return cfg


def _check_plan(path: Path, syn: PersistentObject, names: list[str], inp: Any, specs: list[Any], cfg: Any) -> None:
    """Refuse the file if the stored layer attributes differ from the plan the native module builds."""
    for spec, name in zip(specs, names):
        if spec.name != name:
            raise CheckpointError(
                path, f"StyleGAN3 layer {name} does not follow the layout of its settings (expected {spec.name})"
            )
    mods = _modules(syn)
    layer_attrs = {
        "in_channels": "in_channels",
        "out_channels": "out_channels",
        "in_size": "in_size",
        "out_size": "out_size",
        "in_sampling_rate": "in_sampling_rate",
        "out_sampling_rate": "out_sampling_rate",
        "in_cutoff": "in_cutoff",
        "out_cutoff": "out_cutoff",
        "is_torgb": "is_torgb",
        "is_critically_sampled": "is_critically_sampled",
        "conv_kernel": "conv_kernel",
        "up_factor": "up",
        "down_factor": "down",
        "up_taps": "up_taps",
        "down_taps": "down_taps",
        "down_radial": "down_radial",
        "padding": "padding",
    }
    for spec, name in zip(specs, names):
        st = mods[name].state if isinstance(mods[name], PersistentObject) else {}
        for stored, ours in layer_attrs.items():
            if stored in st and not _same(st[stored], getattr(spec, ours)):
                raise CheckpointError(
                    path,
                    f"StyleGAN3 layer {name}: stored {stored}={_plain(st[stored])}, expected {getattr(spec, ours)}",
                )
        if "conv_clamp" in st and not _same(st["conv_clamp"], cfg.conv_clamp):
            raise CheckpointError(path, f"StyleGAN3 layer {name} has its own conv_clamp")
    inp_obj = mods.get("input")
    if not isinstance(inp_obj, PersistentObject):
        raise CheckpointError(path, "StyleGAN3 synthesis network has no input layer")
    for name in ("channels", "size", "sampling_rate", "bandwidth"):
        if name in inp_obj.state and not _same(inp_obj.state[name], getattr(inp, name)):
            raise CheckpointError(
                path, f"StyleGAN3 input: stored {name}={_plain(inp_obj.state[name])}, expected {getattr(inp, name)}"
            )


_LAYER = re.compile(r"synthesis\.L(\d+)_\d+_\d+\.(.+)")
_FC = re.compile(r"mapping\.fc(\d+)\.(weight|bias)")


def convert_state(tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """NVlabs tensor names → native names (``synthesis.L3_36_64.x`` → ``synthesis.layers.3.x``, …)."""
    out: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        t = t.detach().float()
        m = _LAYER.fullmatch(name)
        if m:
            out[f"synthesis.layers.{m.group(1)}.{m.group(2)}"] = t
            continue
        m = _FC.fullmatch(name)
        if m:
            out[f"mapping.fcs.{m.group(1)}.{m.group(2)}"] = t
            continue
        out[name] = t  # synthesis.input.*, mapping.w_avg, mapping.embed.*: same names
    return out


def build(path: Path, cfg: StyleGAN3Config, tensors: Mapping[str, torch.Tensor], meta: dict[str, Any]) -> LoadedModel:
    """The native model for ``cfg`` with ``tensors`` (native names; all of them, no more, same shapes)."""
    family = get_family("stylegan3")
    module = family.build(cfg)
    own = module.state_dict()
    missing = [k for k in own if k not in tensors]
    extra = [k for k in tensors if k not in own]
    if missing:
        raise CheckpointError(path, f"StyleGAN3 generator lacks {len(missing)} tensors, e.g. {', '.join(missing[:4])}")
    if extra:
        raise CheckpointError(
            path, f"generator has {len(extra)} tensors LatentLab does not implement ({', '.join(extra[:4])})"
        )
    for k, ref in own.items():
        if tuple(tensors[k].shape) != tuple(ref.shape):
            raise CheckpointError(path, f"{k} has shape {tuple(tensors[k].shape)}, expected {tuple(ref.shape)}")
    module.load_state_dict({k: tensors[k].to(own[k].dtype) for k in own}, strict=True)
    return family.wrap(module, cfg, meta)


def with_discriminator(path: Path, cfg: StyleGAN3Config, d: Any) -> StyleGAN3Config:
    """``cfg`` with the training discriminator's settings (``d_channels``, ``mbstd_group_size``,
    ``d_mapping_layers``) of the snapshot's ``d``, when it is one LatentLab reads; else unchanged."""
    from engine.checkpoints.nvlabs_discriminator import infer_spec

    if not isinstance(d, PersistentObject):
        return cfg
    try:
        spec = infer_spec(path, d, flatten(d, path))
    except CheckpointError as e:
        log.info("%s: its discriminator is not used (%s)", path.name, e.reason)
        return cfg
    if (spec.resolution, spec.img_channels, spec.c_dim) != (cfg.resolution, cfg.img_channels, cfg.c_dim):
        return cfg
    return dataclasses.replace(
        cfg,
        d_channels=spec.channels,
        mbstd_group_size=spec.mbstd_group_size,
        d_mapping_layers=spec.mapping_layers if spec.c_dim > 0 else cfg.d_mapping_layers,
    )


def load_generator(path: Path, key: str, g: PersistentObject, d: Any = None) -> LoadedModel:
    """Build the native StyleGAN3 model from the NVlabs generator ``g`` (stored under ``key``); the
    snapshot's discriminator ``d``, when given, sets the config's discriminator fields."""
    from engine.checkpoints.foreign import W_AVG_SAMPLES, estimate_w_avg

    tensors = flatten(g, path)
    cfg = with_discriminator(path, infer_config(path, g, tensors), d)
    native = convert_state(tensors)
    has_w_avg = "mapping.w_avg" in native
    if not has_w_avg:
        native["mapping.w_avg"] = torch.zeros(cfg.w_dim)
    meta: dict[str, Any] = {
        "classes": [f"class {i}" for i in range(cfg.c_dim)],
        "generator": key,
        "w_avg": "stored (mapping.w_avg)",
    }
    model = build(path, cfg, native, meta)
    if not has_w_avg:
        model.module.mapping.w_avg.copy_(estimate_w_avg(model))
        model.meta["w_avg"] = f"estimated (mean of {W_AVG_SAMPLES} mapped z)"
    return model


__all__ = ["build", "convert_state", "infer_config", "is_stylegan3", "load_generator", "with_discriminator"]
