"""Feature-map viewer: the activations of one named layer during one render, as a uint8 image.

A forward hook is installed on the layer only for the duration of one call and removed in a
``finally`` block, so rendering without a feature request runs with no hooks at all.
Activations are shown signed around mid-grey: ``128 + 127 * clamp(scale * a / max|a|, -1, 1)``,
with ``max|a|`` taken over the channels shown, so ``scale`` > 1 brightens weak activations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.families import LoadedModel
from engine.grid import grid_shape


def capture(model: LoadedModel, layer: str, fn: Callable[[], Any]) -> tuple[Any, torch.Tensor]:
    """Run ``fn()`` (a render of ``model``) and return (its result, layer ``layer``'s output [N, C, H, W]).

    Fully connected layers' outputs [N, F] come back as [N, F, 1, 1].
    """
    names = model.layer_names()
    if layer not in names:
        raise ValueError(f"unknown layer {layer!r}; this model has: {', '.join(names) or 'none'}")
    module: nn.Module = model.layer_module(layer)
    seen: list[torch.Tensor] = []

    def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
        seen.append((out[0] if isinstance(out, tuple) else out).detach())

    handle = module.register_forward_hook(hook)
    try:
        result = fn()
    finally:
        handle.remove()
    if not seen:
        raise ValueError(f"layer {layer!r} was not used by this render")
    act = seen[-1].float()
    if act.ndim == 2:
        act = act[:, :, None, None]
    if act.ndim != 4:
        raise ValueError(f"layer {layer!r} has outputs of shape {tuple(act.shape)}, not [N, C, H, W]")
    return result, act


def layer_shapes(model: LoadedModel) -> dict[str, tuple[int, int, int]]:
    """The output shape (C, H, W) of every layer in ``model.layer_names()``, from one default render
    (seed 0) with a hook on each layer, all removed in a ``finally`` block. Fully connected layers
    report (F, 1, 1); a layer the default render does not use is left out."""
    from engine.api import RenderRequest
    from engine.render import render_tensor

    shapes: dict[str, tuple[int, int, int]] = {}

    def hook_for(name: str) -> Callable[[nn.Module, Any, Any], None]:
        def hook(_m: nn.Module, _inp: Any, out: Any) -> None:
            t = out[0] if isinstance(out, tuple) else out
            if t.ndim == 2:
                shapes[name] = (int(t.shape[1]), 1, 1)
            elif t.ndim == 4:
                shapes[name] = (int(t.shape[1]), int(t.shape[2]), int(t.shape[3]))

        return hook

    names = model.layer_names()
    handles = []
    try:
        for name in names:
            handles.append(model.layer_module(name).register_forward_hook(hook_for(name)))
        with torch.inference_mode():
            render_tensor(model, RenderRequest(model_id="layer-shapes"))
    finally:
        for h in handles:
            h.remove()
    return {n: shapes[n] for n in names if n in shapes}


def feature_image(act: torch.Tensor, channel: int | None = None, scale: float = 1.0) -> np.ndarray:
    """The first sample of ``act`` [N, C, H, W] as uint8 [H', W', 1]: one channel, or (``channel``
    None) every channel in a grid with 1-pixel black separators (``grid_shape``)."""
    if act.ndim != 4:
        raise ValueError(f"activations must be [N, C, H, W], got {tuple(act.shape)}")
    if not scale > 0:
        raise ValueError(f"feature scale must be positive, got {scale}")
    x = act[0].float()
    c, h, w = x.shape
    if channel is not None:
        if not 0 <= channel < c:
            raise ValueError(f"channel {channel} out of range 0..{c - 1}")
        x = x[channel : channel + 1]
    peak = x.abs().max().clamp_min(1e-12)
    v = (128 + 127 * (x * (scale / peak)).clamp(-1, 1)).round().to(torch.uint8).cpu().numpy()
    if channel is not None:
        return v[0][:, :, None]
    rows, cols = grid_shape(c)
    out = np.zeros((rows * (h + 1) - 1, cols * (w + 1) - 1, 1), np.uint8)
    for i in range(c):
        r, q = divmod(i, cols)
        out[r * (h + 1) : r * (h + 1) + h, q * (w + 1) : q * (w + 1) + w, 0] = v[i]
    return out


__all__ = ["capture", "feature_image", "grid_shape", "layer_shapes"]
