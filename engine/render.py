"""Rendering: a pure function from a :class:`RenderRequest` and a loaded model to a uint8 frame."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np
import torch

from engine.api import W_SPACES, FrozenArray, Interpolation, RenderRequest, Transform, allowed_spaces
from engine.families import LoadedModel
from engine.input_transform import InputTransform
from engine.latent.arithmetic import weighted_sum
from engine.latent.ops import interpolate, move_along, slerp


class LRUCache:
    """A small least-recently-used cache (mapping outputs, per model)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._d: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        if key in self._d:
            self._d.move_to_end(key)
            return self._d[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        self._d[key] = value
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)

    def clear(self) -> None:
        self._d.clear()


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[-1, 1] NCHW → uint8 NHWC on the device, then one copy to the host."""
    if images.ndim != 4:
        raise ValueError(f"expected NCHW images, got {tuple(images.shape)}")
    x = (images.float() * 127.5 + 128).clamp(0, 255).to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()


def _tensor(a: FrozenArray, device: torch.device) -> torch.Tensor:
    """A latent array as a float32 tensor with a batch dimension: [1, ...]."""
    return torch.tensor(a.array, device=device).unsqueeze(0)


def _z(model: LoadedModel, seed: int, z: FrozenArray | None) -> torch.Tensor:
    zd = model.capabilities.z_dim
    if z is not None:
        if z.shape != (zd,):
            raise ValueError(f"z has {len(z)} values, the model needs {zd}")
        return _tensor(z, model.device)
    return model.sample_z([seed])


def _check_spaces(model: LoadedModel, req: RenderRequest) -> None:
    caps = model.capabilities
    arith, it = req.edits.arithmetic, req.edits.interpolation
    spaces = [("arithmetic space", "arithmetic", arith.space)] if arith is not None and arith.terms else []
    if it is not None:
        spaces.append(("interpolation space", "interpolation", it.space))
    for what, operation, space in spaces:
        allowed = allowed_spaces(caps, operation)
        if space not in allowed:
            if caps.w_space is None and space in ("w", "wplus"):
                raise ValueError(f"{what} '{space}': {caps.family} models have no W space")
            raise ValueError(f"{what} must be one of {allowed}, got {space!r}")


def _target_z(model: LoadedModel, it: Interpolation) -> torch.Tensor:
    """The z [1, z_dim] of interpolation target B (its seed's, or its explicit ``z_b``)."""
    if it.ws_b is not None:
        raise ValueError("interpolation toward a W+ latent needs space w or wplus")
    return _z(model, it.seed_b, it.z_b)


def base_z(model: LoadedModel, req: RenderRequest) -> torch.Tensor:
    """The request's own latent A [1, z_dim]: its seed or explicit z, moved along the stored
    directions by ``edits.directions`` (in standard deviations), plus ``edits.z_offset``."""
    z = _z(model, req.latent.seed, req.latent.z)
    offsets = tuple(req.edits.directions)
    if offsets and any(o != 0 for o in offsets):
        k = model.capabilities.latent_directions
        if k <= 0:
            raise ValueError(f"{model.capabilities.family} model stores no latent directions")
        components, std = model.latent_directions()
        z = move_along(z, components.to(z.device), std.to(z.device), offsets)
    z_offset = req.edits.z_offset
    if z_offset is not None:
        if z_offset.shape != (z.shape[1],):
            raise ValueError(f"z_offset has {len(z_offset)} values, the model's z has {z.shape[1]}")
        z = z + _tensor(z_offset, z.device).to(z.dtype)
    return z


def request_z(model: LoadedModel, req: RenderRequest) -> torch.Tensor:
    """The z [1, z_dim] a request asks for after the operations that act in z: directions, then
    arithmetic (space "z"), then interpolation (space "z")."""
    _check_spaces(model, req)
    z = base_z(model, req)
    arith = req.edits.arithmetic
    if arith is not None and arith.terms and arith.space == "z":
        latents = [z if t.seed is None else model.sample_z([t.seed]) for t in arith.terms]
        z = weighted_sum(latents, [t.weight for t in arith.terms])
    it = req.edits.interpolation
    if it is not None and it.space == "z":
        z = interpolate(z, _target_z(model, it), float(it.t), it.method)
    return z


def _z_key(z: torch.Tensor) -> Hashable:
    return ("zvec", z.detach().float().cpu().numpy().tobytes())


def request_ws(model: LoadedModel, req: RenderRequest, cache: LRUCache | None = None) -> torch.Tensor:
    """The style vectors [1, num_ws, w_dim] a request asks for: z operations, mapping, w-space
    arithmetic and interpolation, then style mixing, then ``edits.w_offset``."""
    caps = model.capabilities
    if caps.w_space is None:
        raise ValueError(f"{caps.family} has no W space")
    num_ws = caps.w_space.num_ws
    lat, trunc, edits, mix = req.latent, req.truncation, req.edits, req.mix
    c = model.one_hot([lat.class_index or 0], 1)

    def mapped(z: torch.Tensor, key: Hashable) -> torch.Tensor:
        k = (key, lat.class_index, trunc.psi, trunc.cutoff)
        hit = cache.get(k) if cache is not None else None
        if hit is None:
            hit = model.map(z, c, psi=trunc.psi, cutoff=trunc.cutoff)
            if cache is not None:
                cache.put(k, hit)
        return hit

    arith, it = edits.arithmetic, edits.interpolation
    arith_terms = arith.terms if arith is not None else ()
    plain = (
        edits.z_offset is None
        and not any(o != 0 for o in edits.directions)
        and not (arith_terms and arith is not None and arith.space == "z")
        and not (it is not None and it.space == "z")
    )
    if lat.ws is not None:
        ws = explicit_ws(model, req)
        z1, key1 = None, ("ws", lat.ws)
    else:
        z1 = request_z(model, req)
        if plain:
            key1: Hashable = ("z", lat.z) if lat.z is not None else ("seed", lat.seed)
        else:
            key1 = _z_key(z1)
        ws = mapped(z1, key1)
    if arith is not None and arith_terms and arith.space == "w":
        latents = [ws if t.seed is None else mapped(model.sample_z([t.seed]), ("seed", t.seed)) for t in arith_terms]
        ws = weighted_sum(latents, [t.weight for t in arith_terms])
    if it is not None and it.space in W_SPACES:  # per layer: slerp/lerp act along w_dim of each row
        if it.ws_b is not None:
            ws_b = ws_tensor(model, it.ws_b, trunc.psi, trunc.cutoff)
        elif it.z_b is not None:
            ws_b = mapped(_z(model, it.seed_b, it.z_b), ("z", it.z_b))
        else:
            ws_b = mapped(model.sample_z([it.seed_b]), ("seed", it.seed_b))
        ws = interpolate(ws, ws_b, float(it.t), it.method)
    weights = tuple(mix.weights)
    if mix.active:
        if len(weights) != num_ws:
            raise ValueError(f"style_mix needs {num_ws} weights, got {len(weights)}")
        z2 = model.sample_z([mix.seed])
        if mix.space == "z" and z1 is not None:
            layers = []
            for i, a in enumerate(weights):
                zi = slerp(z1, z2, float(a))
                wi = mapped(zi, ("zmix", key1, mix.seed, round(float(a), 6)))
                layers.append(wi[:, i])
            ws = torch.stack(layers, dim=1)
        elif mix.space in ("w", "z"):  # an explicit ws has no z: blend in w
            ws2 = mapped(z2, ("seed", mix.seed))
            a = torch.tensor(weights, dtype=ws.dtype, device=ws.device).reshape(1, -1, 1)
            ws = ws + (ws2 - ws) * a
        else:
            raise ValueError(f"mix_space must be 'w' or 'z', got {mix.space!r}")
    if edits.w_offset is not None:
        if edits.w_offset.shape != (caps.w_space.w_dim,):
            raise ValueError(f"w_offset needs {caps.w_space.w_dim} values")
        off = _tensor(edits.w_offset, ws.device).to(ws.dtype)[0]
        if edits.w_offset_layers is None:
            ws = ws + off
        else:
            a, b = edits.w_offset_layers
            if not 0 <= a < b <= num_ws:
                raise ValueError(f"w_offset_layers {edits.w_offset_layers} outside 0..{num_ws}")
            mask = torch.zeros(1, num_ws, 1, dtype=ws.dtype, device=ws.device)
            mask[:, a:b] = 1
            ws = ws + off * mask
    return ws


def explicit_ws(model: LoadedModel, req: RenderRequest) -> torch.Tensor:
    """The request's explicit W+ latent as a tensor [1, num_ws, w_dim], truncated toward ``w_avg``."""
    if req.latent.ws is None:
        raise ValueError("the request has no explicit W+ latent")
    return ws_tensor(model, req.latent.ws, req.truncation.psi, req.truncation.cutoff)


def ws_tensor(model: LoadedModel, rows: FrozenArray, psi: float = 1.0, cutoff: int | None = None) -> torch.Tensor:
    """An explicit W+ latent [num_ws, w_dim] as a tensor [1, num_ws, w_dim], truncated toward
    ``w_avg`` by ``psi``/``cutoff`` (the model's :meth:`~engine.families.base.LoadedModel.truncate`)."""
    ws_space = model.capabilities.w_space
    if ws_space is None:
        raise ValueError(f"{model.capabilities.family} models have no W space")
    if rows.shape != (ws_space.num_ws, ws_space.w_dim):
        raise ValueError(f"ws must be {ws_space.num_ws} rows of {ws_space.w_dim} values")
    ws = _tensor(rows, model.device)
    if psi != 1 and ws_space.has_w_avg:
        ws = model.truncate(ws, psi, cutoff)
    return ws


def input_transform(model: LoadedModel, transform: Transform) -> InputTransform:
    """The request's :class:`~engine.api.Transform` as the model's input transform; ValueError for a
    model without one (``Capabilities.input_transform``)."""
    caps = model.capabilities
    if not caps.input_transform:
        raise ValueError(f"{caps.family} models have no input transform (translate/rotate)")
    return InputTransform(transform.translate_x, transform.translate_y, transform.rotate)


def view_options(model: LoadedModel, req: RenderRequest) -> dict[str, Any]:
    """The keyword options of ``generate``/``synthesize`` that ``req.view`` asks for: the family view
    options, plus ``preview`` when the request asks for a preview the model declares."""
    options = dict(req.view.options)
    preview = req.view.preview
    if preview is not None:
        previews = model.capabilities.preview_resolutions
        if int(preview) not in previews:
            shown = ", ".join(map(str, previews)) or "none"
            raise ValueError(f"{model.capabilities.family} model has no {preview} px preview (previews: {shown})")
        options["preview"] = int(preview)
    return options


def render_tensor(model: LoadedModel, req: RenderRequest, cache: LRUCache | None = None) -> torch.Tensor:
    """The image [1, C, H, W] in [-1, 1] for ``req`` (``view.preview`` pixels on a side for a preview)."""
    caps = model.capabilities
    options = view_options(model, req)
    if not req.transform.is_identity:
        options["transform"] = input_transform(model, req.transform)
    if caps.w_space is not None:
        ws = request_ws(model, req, cache)
        strengths = None
        noise = req.noise
        if caps.noise_layers:
            per = list(noise.layer_strengths) or [1.0] * caps.noise_layers
            if len(per) != caps.noise_layers:
                raise ValueError(f"noise_layer_strengths needs {caps.noise_layers} values, got {len(per)}")
            strengths = [float(s) * noise.strength for s in per]
        return model.synthesize(ws, noise_mode=noise.mode, noise_strengths=strengths, noise_seed=noise.seed, **options)
    if caps.z_dim > 0:
        z = request_z(model, req)
        c = model.one_hot([req.latent.class_index or 0], 1)
        return model.generate(z, c, **options)
    raise ValueError(f"{caps.family} models do not render from a latent")


def render(model: LoadedModel, req: RenderRequest, cache: LRUCache | None = None) -> np.ndarray:
    """The uint8 HWC frame for ``req``."""
    return render_frame(model, req, cache)[0]


def render_frame(
    model: LoadedModel, req: RenderRequest, cache: LRUCache | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """The uint8 HWC frame for ``req`` and, when it names a ``feature_layer``, that layer's
    activations as a uint8 HW1 image (the hook exists only during this call)."""
    image, features, _finite = render_frame_checked(model, req, cache)
    return image, features


def render_frame_checked(
    model: LoadedModel, req: RenderRequest, cache: LRUCache | None = None
) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """:func:`render_frame` plus whether the image was finite before its uint8 conversion (NaN/inf
    weights or settings render black; see :mod:`engine.finite`)."""
    from engine.finite import all_finite

    view = req.view
    with torch.inference_mode():
        if view.feature_layer is None:
            img = render_tensor(model, req, cache)
            return to_uint8(img)[0], None, all_finite(img)
        from engine.features import capture, feature_image

        img, act = capture(model, view.feature_layer, lambda: render_tensor(model, req, cache))
        return to_uint8(img)[0], feature_image(act, view.feature_channel, float(view.feature_scale)), all_finite(img)
