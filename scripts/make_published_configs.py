"""Random-weight StyleGAN2 files at the published NVlabs configurations, for benchmarks only.

Nothing here is committed as data: the files are written where ``--out`` says (default
``/tmp/latentlab-published``) and are read by ``latentlab bench render``, ``latentlab info`` and the
load-time measurements. Each file is written twice:

* ``ffhqN.pkl``: an NVlabs stylegan2-ada-pytorch network snapshot as its training loop writes it
  (``dict(training_set_kwargs, G, D, G_ema, augment_pipe)``; every module a
  ``torch_utils.persistence`` object with ``_init_kwargs``, attributes, ``_parameters``/``_buffers``/
  ``_modules``; numpy float64 gains; each storage a legacy-format ``torch.save`` inside
  ``torch.storage._load_from_bytes``), without the embedded source (as ``../shared/fixtures`` §2);
* ``ffhqN.safetensors`` + ``ffhqN.json``: the same generator in LatentLab's native format.

Configurations (``stylegan2-ada-pytorch`` ``train.py --cfg``): ``1024`` = ``paper1024``/``ffhq1024``
(z = w = 512, 8 mapping layers, channel_base 32768, channel_max 512, fp16 at the 4 top resolutions,
conv_clamp 256, 381 MB with G, D and G_ema), ``512`` = ``paper512`` (same channel base), ``256`` =
``paper256`` (channel_base 16384). D's minibatch-stddev group is ``--mbstd-group`` (default 8).

Usage::

    PYTHONPATH=. python scripts/make_published_configs.py --resolution 1024 [--out DIR] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import logging
import math
import pickle
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger("make_published_configs")

CHANNEL_BASE = {256: 16384, 512: 32768, 1024: 32768}
CHANNEL_MAX = 512
NUM_FP16_RES = 4
CONV_CLAMP = 256
Z_DIM = W_DIM = 512
MAPPING_LAYERS = 8
LR_MULTIPLIER = 0.01
FIR = [1, 3, 3, 1]


# --- the two foreign globals NVlabs pickles name, as stand-ins living in fake modules -----------
def _fake_module(name: str) -> types.ModuleType:
    mod = sys.modules.get(name)
    if mod is None:
        mod = types.ModuleType(name)
        sys.modules[name] = mod
    return mod


def _reconstruct_persistent_obj(meta: dict[str, Any]) -> Any:  # never called: we only pickle
    raise RuntimeError("stand-in")


_reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
_fake_module("torch_utils")
_fake_module("torch_utils.persistence")._reconstruct_persistent_obj = _reconstruct_persistent_obj


class EasyDict(dict):
    """``dnnlib.util.EasyDict`` stand-in (a plain dict subclass, pickled by class name)."""


EasyDict.__module__ = "dnnlib.util"
EasyDict.__qualname__ = "EasyDict"
_fake_module("dnnlib")
_fake_module("dnnlib.util").EasyDict = EasyDict


class Persistent:
    """One ``torch_utils.persistence`` module as it is pickled: class name and ``__dict__``."""

    def __init__(
        self,
        class_name: str,
        attrs: dict[str, Any],
        params: dict[str, torch.Tensor | None] | None = None,
        buffers: dict[str, torch.Tensor] | None = None,
        modules: dict[str, Persistent] | None = None,
        init_args: tuple[Any, ...] = (),
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        state: dict[str, Any] = {"training": False}
        state["_parameters"] = collections.OrderedDict(
            (k, None if v is None else torch.nn.Parameter(v.contiguous(), requires_grad=False))
            for k, v in (params or {}).items()
        )
        state["_buffers"] = collections.OrderedDict((k, v.contiguous()) for k, v in (buffers or {}).items())
        state["_non_persistent_buffers_set"] = set()
        for hook in ("_backward_hooks", "_forward_hooks", "_forward_pre_hooks", "_state_dict_hooks"):
            state[hook] = collections.OrderedDict()
        state["_modules"] = collections.OrderedDict(modules or {})
        state.update(attrs)
        state["_init_args"] = tuple(init_args)
        state["_init_kwargs"] = dict(init_kwargs or {})
        self.meta = {"type": "class", "version": 6, "module_src": "# source omitted", "class_name": class_name}
        self.meta["state"] = state

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _reconstruct_persistent_obj, (self.meta,)


def channels_at(res: int, base: int) -> int:
    return min(base // res, CHANNEL_MAX)


def gain(x: float) -> np.float64:
    return np.float64(x)


def fir() -> torch.Tensor:
    k = torch.tensor(FIR, dtype=torch.float32)
    f = torch.outer(k, k)
    return f / f.sum()


# --- generator ---------------------------------------------------------------------------------
def fc(gen: torch.Generator, fin: int, fout: int, activation: str, lr_mul: float = 1.0, bias_init: float = 0.0):
    weight = torch.randn(fout, fin, generator=gen) / lr_mul
    bias = torch.full([fout], float(bias_init))
    kwargs: dict[str, Any] = {"activation": activation} if activation != "linear" else {}
    if lr_mul != 1:
        kwargs["lr_multiplier"] = lr_mul
    if bias_init:
        kwargs["bias_init"] = bias_init
    attrs = {"activation": activation, "weight_gain": gain(lr_mul / math.sqrt(fin)), "bias_gain": lr_mul}
    return Persistent("FullyConnectedLayer", attrs, {"weight": weight, "bias": bias}, None, None, (fin, fout), kwargs)


def synthesis_layer(gen, cin, cout, res, up, use_fp16):
    attrs = {"resolution": res, "up": up, "use_noise": True, "activation": "lrelu", "conv_clamp": CONV_CLAMP}
    attrs.update(padding=1, act_gain=gain(math.sqrt(2)))
    kwargs: dict[str, Any] = {"w_dim": W_DIM, "resolution": res}
    if up > 1:
        kwargs.update(up=up, resample_filter=FIR)
    kwargs.update(conv_clamp=CONV_CLAMP, channels_last=use_fp16)
    params = {
        "weight": torch.randn(cout, cin, 3, 3, generator=gen),
        "noise_strength": torch.rand([], generator=gen) * 0.1,
        "bias": torch.randn(cout, generator=gen) * 0.1,
    }
    buffers = {"resample_filter": fir(), "noise_const": torch.randn(res, res, generator=gen)}
    modules = {"affine": fc(gen, W_DIM, cin, "linear", bias_init=1.0)}
    return Persistent("SynthesisLayer", attrs, params, buffers, modules, (cin, cout), kwargs)


def torgb(gen, cin, use_fp16):
    attrs = {"conv_clamp": CONV_CLAMP, "weight_gain": gain(1 / math.sqrt(cin))}
    params = {"weight": torch.randn(3, cin, 1, 1, generator=gen), "bias": torch.randn(3, generator=gen) * 0.1}
    modules = {"affine": fc(gen, W_DIM, cin, "linear", bias_init=1.0)}
    kwargs = {"w_dim": W_DIM, "conv_clamp": CONV_CLAMP, "channels_last": use_fp16}
    return Persistent("ToRGBLayer", attrs, params, None, modules, (cin, 3), kwargs)


def generator(gen: torch.Generator, resolution: int, base: int, w_avg: torch.Tensor | None) -> Persistent:
    resolutions = [2**i for i in range(2, int(math.log2(resolution)) + 1)]
    fp16_res = max(2 ** (int(math.log2(resolution)) + 1 - NUM_FP16_RES), 8)
    num_ws = 2 * len(resolutions)
    syn_kwargs = EasyDict(channel_base=base, channel_max=CHANNEL_MAX, num_fp16_res=NUM_FP16_RES, conv_clamp=CONV_CLAMP)
    blocks: dict[str, Persistent] = {}
    for res in resolutions:
        cin = 0 if res == 4 else channels_at(res // 2, base)
        cout = channels_at(res, base)
        use_fp16 = res >= fp16_res
        attrs = {"in_channels": cin, "w_dim": W_DIM, "resolution": res, "img_channels": 3}
        attrs.update(is_last=res == resolution, architecture="skip", use_fp16=use_fp16, channels_last=use_fp16)
        attrs.update(num_conv=1 if res == 4 else 2, num_torgb=1)
        params = {"const": torch.randn(cout, 4, 4, generator=gen)} if res == 4 else {}
        mods: dict[str, Persistent] = {}
        if res > 4:
            mods["conv0"] = synthesis_layer(gen, cin, cout, res, 2, use_fp16)
        mods["conv1"] = synthesis_layer(gen, cout, cout, res, 1, use_fp16)
        mods["torgb"] = torgb(gen, cout, use_fp16)
        kwargs = {"w_dim": W_DIM, "resolution": res, "img_channels": 3, "is_last": res == resolution}
        kwargs.update(use_fp16=use_fp16, conv_clamp=CONV_CLAMP)
        blocks[f"b{res}"] = Persistent(
            "SynthesisBlock", attrs, params, {"resample_filter": fir()}, mods, (cin, cout), kwargs
        )
    syn_attrs = {"w_dim": W_DIM, "img_resolution": resolution, "img_resolution_log2": int(math.log2(resolution))}
    syn_attrs.update(img_channels=3, block_resolutions=resolutions, num_ws=num_ws)
    syn = Persistent(
        "SynthesisNetwork",
        syn_attrs,
        None,
        None,
        blocks,
        (),
        {"w_dim": W_DIM, "img_resolution": resolution, "img_channels": 3, **syn_kwargs},
    )
    fcs = {f"fc{i}": fc(gen, Z_DIM if i == 0 else W_DIM, W_DIM, "lrelu", LR_MULTIPLIER) for i in range(MAPPING_LAYERS)}
    map_attrs = {"z_dim": Z_DIM, "c_dim": 0, "w_dim": W_DIM, "num_ws": num_ws, "num_layers": MAPPING_LAYERS}
    map_attrs["w_avg_beta"] = 0.995
    mapping = Persistent(
        "MappingNetwork",
        map_attrs,
        None,
        {"w_avg": w_avg if w_avg is not None else torch.zeros(W_DIM)},
        fcs,
        (),
        {"z_dim": Z_DIM, "c_dim": 0, "w_dim": W_DIM, "num_ws": num_ws, "num_layers": MAPPING_LAYERS},
    )
    attrs = {"z_dim": Z_DIM, "c_dim": 0, "w_dim": W_DIM, "img_resolution": resolution, "img_channels": 3}
    attrs["num_ws"] = num_ws
    kwargs = {
        "z_dim": Z_DIM,
        "w_dim": W_DIM,
        "mapping_kwargs": EasyDict(num_layers=MAPPING_LAYERS),
        "synthesis_kwargs": syn_kwargs,
        "c_dim": 0,
        "img_resolution": resolution,
        "img_channels": 3,
    }
    return Persistent("Generator", attrs, None, None, {"synthesis": syn, "mapping": mapping}, (), kwargs)


# --- discriminator -----------------------------------------------------------------------------
def conv_layer(gen, cin, cout, k, activation="lrelu", down=1, bias=True, clamp=CONV_CLAMP):
    attrs = {"activation": activation, "up": 1, "down": down, "conv_clamp": clamp, "padding": k // 2}
    attrs.update(
        weight_gain=gain(1 / math.sqrt(cin * k * k)), act_gain=gain(math.sqrt(2)) if activation == "lrelu" else 1
    )
    params: dict[str, Any] = {"weight": torch.randn(cout, cin, k, k, generator=gen)}
    if bias:
        params["bias"] = torch.zeros(cout)
    else:
        attrs["bias"] = None
    kwargs: dict[str, Any] = {"kernel_size": k}
    if activation != "linear":
        kwargs["activation"] = activation
    if down > 1:
        kwargs.update(down=down, resample_filter=FIR)
    if clamp is not None:
        kwargs["conv_clamp"] = clamp
    return Persistent("Conv2dLayer", attrs, params, {"resample_filter": fir()}, None, (cin, cout), kwargs)


def discriminator(gen: torch.Generator, resolution: int, base: int, mbstd_group: int) -> Persistent:
    block_res = [2**i for i in range(int(math.log2(resolution)), 2, -1)]
    fp16_res = max(2 ** (int(math.log2(resolution)) + 1 - NUM_FP16_RES), 8)
    blocks: dict[str, Persistent] = {}
    for res in block_res:
        cin = 0 if res == resolution else channels_at(res, base)
        tmp, cout = channels_at(res, base), channels_at(res // 2, base)
        use_fp16 = res >= fp16_res
        mods = {}
        if cin == 0:
            mods["fromrgb"] = conv_layer(gen, 3, tmp, 1)
        mods["conv0"] = conv_layer(gen, tmp, tmp, 3)
        mods["conv1"] = conv_layer(gen, tmp, cout, 3, down=2)
        mods["skip"] = conv_layer(gen, tmp, cout, 1, activation="linear", down=2, bias=False, clamp=None)
        attrs = {"in_channels": cin, "resolution": res, "img_channels": 3, "architecture": "resnet"}
        attrs.update(use_fp16=use_fp16, channels_last=use_fp16)
        kwargs = {
            "resolution": res,
            "use_fp16": use_fp16,
            "img_channels": 3,
            "architecture": "resnet",
            "conv_clamp": CONV_CLAMP,
        }
        blocks[f"b{res}"] = Persistent(
            "DiscriminatorBlock", attrs, None, {"resample_filter": fir()}, mods, (cin, tmp, cout), kwargs
        )
    c4 = channels_at(4, base)
    mbstd = Persistent(
        "MinibatchStdLayer",
        {"group_size": mbstd_group, "num_channels": 1},
        None,
        None,
        None,
        (),
        {"group_size": mbstd_group, "num_channels": 1},
    )
    epi_mods = {
        "mbstd": mbstd,
        "conv": conv_layer(gen, c4 + 1, c4, 3),
        "fc": fc(gen, c4 * 16, c4, "lrelu"),
        "out": fc(gen, c4, 1, "linear"),
    }
    epi_attrs = {"in_channels": c4, "cmap_dim": 0, "resolution": 4, "img_channels": 3, "architecture": "resnet"}
    blocks["b4"] = Persistent(
        "DiscriminatorEpilogue",
        epi_attrs,
        None,
        None,
        epi_mods,
        (c4,),
        {
            "cmap_dim": 0,
            "resolution": 4,
            "mbstd_group_size": mbstd_group,
            "img_channels": 3,
            "architecture": "resnet",
            "conv_clamp": CONV_CLAMP,
        },
    )
    attrs = {
        "c_dim": 0,
        "img_resolution": resolution,
        "img_resolution_log2": int(math.log2(resolution)),
        "img_channels": 3,
        "block_resolutions": block_res,
    }
    kwargs = {
        "block_kwargs": EasyDict(),
        "mapping_kwargs": EasyDict(),
        "epilogue_kwargs": EasyDict(mbstd_group_size=mbstd_group),
        "channel_base": base,
        "channel_max": CHANNEL_MAX,
        "num_fp16_res": NUM_FP16_RES,
        "conv_clamp": CONV_CLAMP,
        "c_dim": 0,
        "img_resolution": resolution,
        "img_channels": 3,
    }
    return Persistent("Discriminator", attrs, None, None, blocks, (), kwargs)


def build(resolution: int, seed: int, mbstd_group: int) -> dict[str, Any]:
    """The snapshot dict; G_ema's ``w_avg`` is the mean mapped w of 4096 seeded z (stands in for the EMA)."""
    base = CHANNEL_BASE[resolution]
    g_ema = generator(torch.Generator().manual_seed(seed), resolution, base, None)
    g_train = generator(torch.Generator().manual_seed(seed + 1), resolution, base, None)
    d = discriminator(torch.Generator().manual_seed(seed + 2), resolution, base, mbstd_group)
    w_avg = mapped_mean(g_ema)
    g_ema.meta["state"]["_modules"]["mapping"].meta["state"]["_buffers"]["w_avg"] = w_avg
    g_train.meta["state"]["_modules"]["mapping"].meta["state"]["_buffers"]["w_avg"] = w_avg.clone()
    tsk = {
        "class_name": "training.dataset.ImageFolderDataset",
        "path": f"datasets/ffhq{resolution}.zip",
        "use_labels": False,
        "max_size": 70000,
        "xflip": True,
        "resolution": resolution,
    }
    return {"training_set_kwargs": tsk, "G": g_train, "D": d, "G_ema": g_ema, "augment_pipe": None}


@torch.no_grad()
def mapped_mean(g: Persistent, n: int = 4096) -> torch.Tensor:
    mapping = g.meta["state"]["_modules"]["mapping"].meta["state"]["_modules"]
    x = torch.randn(n, Z_DIM, generator=torch.Generator().manual_seed(1))
    x = x * (x.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
    for i in range(MAPPING_LAYERS):
        p = mapping[f"fc{i}"].meta["state"]
        w = p["_parameters"]["weight"] * float(p["weight_gain"])
        b = p["_parameters"]["bias"] * float(p["bias_gain"])
        x = torch.nn.functional.leaky_relu(x @ w.T + b, 0.2) * math.sqrt(2)
    return x.mean(dim=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--resolution", type=int, choices=sorted(CHANNEL_BASE), default=1024)
    ap.add_argument("--out", type=Path, default=Path("/tmp/latentlab-published"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mbstd-group", type=int, default=8, help="D's minibatch-stddev group size (default 8)")
    ap.add_argument("--no-native", action="store_true", help="write the pickle only")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"ffhq{args.resolution}"
    t0 = time.perf_counter()
    snap = build(args.resolution, args.seed, args.mbstd_group)
    pkl = stem.with_suffix(".pkl")
    tmp = pkl.with_name(pkl.name + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(snap, f, protocol=4)
    tmp.replace(pkl)
    log.info("wrote %s (%.1f MB) in %.1f s", pkl, pkl.stat().st_size / 1e6, time.perf_counter() - t0)
    if not args.no_native:
        from engine.checkpoints.loader import load_model
        from engine.checkpoints.native import save_native

        model = load_model(pkl)
        st = save_native(model, stem.with_suffix(".safetensors"), provenance={"built_by": Path(__file__).name})
        log.info("wrote %s (%.1f MB)", st, st.stat().st_size / 1e6)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
