"""rosinality/stylegan2-pytorch checkpoints → the native StyleGAN2 generator.

Two layouts are read: ``{'g_ema', 'latent_avg'}`` written by ``convert_weight.py`` and train.py's
``{'g', 'd', 'g_ema', 'g_optim', 'd_optim', 'args', 'ada_aug_p'}`` (a bare generator state dict
works too). Only ``g_ema`` is used. The architecture is inferred from tensor shapes (the channel
table of the reference code is not assumed), and every tensor of ``g_ema`` must be accounted for,
so variants we do not implement (e.g. SWAGAN) are refused instead of loaded wrongly.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.foreign import W_AVG_SAMPLES, W_AVG_SEED, build_stylegan2, estimate_w_avg
from engine.families import LoadedModel
from engine.models.stylegan2 import StyleGAN2Config
from engine.nn.fir import make_fir

log = logging.getLogger(__name__)

DEFAULT_LR_MLP = 0.01


def _is_generator_state(sd: Any) -> bool:
    return isinstance(sd, Mapping) and "style.1.weight" in sd and "input.input" in sd and "conv1.conv.weight" in sd


def detect(obj: Any) -> bool:
    """True if ``obj`` (a loaded torch file) is a rosinality checkpoint or generator state dict."""
    if not isinstance(obj, Mapping):
        return False
    return _is_generator_state(obj.get("g_ema")) or _is_generator_state(obj)


def _arg(args: Any, name: str, default: Any = None) -> Any:
    if isinstance(args, Mapping):
        return args.get(name, default)
    return getattr(args, name, default)


class _Consumer:
    """Hands out tensors of a state dict by name and remembers which ones were used."""

    def __init__(self, path: Path, sd: Mapping[str, Any]) -> None:
        self.path = path
        self.sd = sd
        self.used: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self.sd

    def __call__(self, key: str) -> torch.Tensor:
        if key not in self.sd:
            raise CheckpointError(self.path, f"rosinality generator lacks tensor '{key}'")
        t = self.sd[key]
        if not isinstance(t, torch.Tensor):
            raise CheckpointError(self.path, f"'{key}' is a {type(t).__name__}, not a tensor")
        self.used.add(key)
        return t.detach().float()

    def leftover(self) -> list[str]:
        return sorted(set(self.sd) - self.used)


def infer_config(path: Path, sd: Mapping[str, Any], lr_mlp: float = DEFAULT_LR_MLP) -> StyleGAN2Config:
    """The native config of a rosinality generator state dict, from its tensor shapes."""
    w_dim, z_dim = (int(s) for s in sd["style.1.weight"].shape)
    n_mlp = 0
    while f"style.{n_mlp + 1}.weight" in sd:
        n_mlp += 1
    channels = [int(sd["conv1.conv.weight"].shape[1])]
    j = 0
    while f"convs.{j}.conv.weight" in sd:
        channels.append(int(sd[f"convs.{j}.conv.weight"].shape[1]))
        j += 2
    img_channels = int(sd["to_rgb1.conv.weight"].shape[1])
    resolution = 4 * 2 ** (len(channels) - 1)
    return StyleGAN2Config(
        resolution=resolution,
        img_channels=img_channels,
        z_dim=z_dim,
        w_dim=w_dim,
        c_dim=0,
        mapping_layers=n_mlp,
        mapping_lr_mul=float(lr_mlp),
        channels=tuple(channels),
        conv_clamp=None,
    )


def convert_state(path: Path, sd: Mapping[str, Any], cfg: StyleGAN2Config) -> tuple[dict[str, torch.Tensor], bool]:
    """Map rosinality tensor names/shapes to native ones; returns (tensors, had_noise_buffers)."""
    take = _Consumer(path, sd)
    out: dict[str, torch.Tensor] = {}
    for i in range(cfg.mapping_layers):
        out[f"mapping.fcs.{i}.weight"] = take(f"style.{i + 1}.weight")
        out[f"mapping.fcs.{i}.bias"] = take(f"style.{i + 1}.bias")

    up_kernel = make_fir() * 4
    has_noise = "noises.noise_0" in sd

    def check_kernel(key: str) -> None:
        if key in sd:
            k = take(key)
            if k.shape != up_kernel.shape or not torch.allclose(k, up_kernel, atol=1e-6):
                raise CheckpointError(path, f"'{key}' is not the [1,3,3,1] blur kernel LatentLab implements")

    def layer(dst: str, src: str, noise_index: int, in_ch: int, out_ch: int) -> None:
        w = take(f"{src}.conv.weight")
        if tuple(w.shape) != (1, out_ch, in_ch, 3, 3):
            raise CheckpointError(
                path, f"'{src}.conv.weight' has shape {tuple(w.shape)}, expected [1,{out_ch},{in_ch},3,3]"
            )
        out[f"{dst}.weight"] = w[0]
        out[f"{dst}.affine.weight"] = take(f"{src}.conv.modulation.weight")
        out[f"{dst}.affine.bias"] = take(f"{src}.conv.modulation.bias")
        out[f"{dst}.noise_strength"] = take(f"{src}.noise.weight").reshape([])
        out[f"{dst}.bias"] = take(f"{src}.activate.bias")
        check_kernel(f"{src}.conv.blur.kernel")
        if has_noise:
            out[f"{dst}.noise_const"] = take(f"noises.noise_{noise_index}")[0, 0]

    def torgb(dst: str, src: str) -> None:
        w = take(f"{src}.conv.weight")
        out[f"{dst}.weight"] = w[0]
        out[f"{dst}.affine.weight"] = take(f"{src}.conv.modulation.weight")
        out[f"{dst}.affine.bias"] = take(f"{src}.conv.modulation.bias")
        out[f"{dst}.bias"] = take(f"{src}.bias").reshape(-1)
        check_kernel(f"{src}.upsample.kernel")

    ch = cfg.channels
    out["synthesis.blocks.0.const"] = take("input.input")[0]
    layer("synthesis.blocks.0.conv1", "conv1", 0, ch[0], ch[0])
    torgb("synthesis.blocks.0.torgb", "to_rgb1")
    for b in range(1, len(ch)):
        layer(f"synthesis.blocks.{b}.conv0", f"convs.{2 * b - 2}", 2 * b - 1, ch[b - 1], ch[b])
        layer(f"synthesis.blocks.{b}.conv1", f"convs.{2 * b - 1}", 2 * b, ch[b], ch[b])
        torgb(f"synthesis.blocks.{b}.torgb", f"to_rgbs.{b - 1}")
    leftover = take.leftover()
    if leftover:
        shown = ", ".join(leftover[:6]) + (", …" if len(leftover) > 6 else "")
        raise CheckpointError(
            path, f"rosinality generator has {len(leftover)} tensors LatentLab does not implement ({shown})"
        )
    return out, has_noise


def load(path: str | Path, obj: Mapping[str, Any]) -> LoadedModel:
    """Build the native StyleGAN2 model from a loaded rosinality checkpoint ``obj``."""
    path = Path(path)
    wrapped = _is_generator_state(obj.get("g_ema"))
    sd = obj["g_ema"] if wrapped else obj
    args = obj.get("args") if wrapped else None
    arch = _arg(args, "arch", "stylegan2")
    if arch != "stylegan2":
        raise CheckpointError(path, f"rosinality arch '{arch}' is not supported (only 'stylegan2')")
    lr_mlp = _arg(args, "lr_mlp", DEFAULT_LR_MLP)
    try:
        cfg = infer_config(path, sd, lr_mlp)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        raise CheckpointError(path, f"cannot infer the rosinality architecture ({e})") from e
    tensors, had_noise = convert_state(path, sd, cfg)
    meta: dict[str, Any] = {"classes": [], "generator": "g_ema" if wrapped else "state_dict"}
    if not (wrapped and "d" in obj):
        meta["discriminator"] = "not in the file"
    if not had_noise:
        meta["noise_const"] = "generated (checkpoint has no noise buffers)"
    model = build_stylegan2(path, cfg, tensors, meta, noise_seed=0)

    latent_avg = obj.get("latent_avg") if wrapped else None
    if isinstance(latent_avg, torch.Tensor):
        w_avg = latent_avg.detach().float().reshape(-1, cfg.w_dim).mean(dim=0)
        model.meta["w_avg"] = "stored (latent_avg)"
    else:
        w_avg = estimate_w_avg(model)
        model.meta["w_avg"] = f"estimated (mean of {W_AVG_SAMPLES} mapped z, seed {W_AVG_SEED})"
        log.info("%s: no latent_avg stored; estimated w_avg from %d samples", path.name, W_AVG_SAMPLES)
    model.module.mapping.w_avg.copy_(w_avg)
    return model


__all__ = ["convert_state", "detect", "infer_config", "load"]
