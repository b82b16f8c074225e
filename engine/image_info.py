"""How an image was made, recorded in its PNG text chunks, so a saved image says how to reproduce it.

Keys (all prefixed ``latentlab.``): ``model`` (its name), ``model_source`` (the bundled name or file it
was opened from), ``seed`` (or ``seeds`` for a grid), ``latent`` (where the latent came from: ``seed``,
``z`` — an explicit z such as an encoded image or a bookmark — or ``w+``, an inverted image), ``psi``,
``cutoff`` (``none`` = every style layer), ``noise_mode``, ``noise_seed``, ``noise_strength``, ``class``,
``style_mix``, ``edits`` and ``view`` when they apply, and ``z`` / ``ws`` (the explicit latent as a
base64 ``.npy``, compressed) when the latent is not a seed. ``Software`` names LatentLab.

Reading executes nothing: :func:`read_info` returns the text chunks as strings, and :func:`decode_array`
reads an array chunk with ``allow_pickle=False``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from engine.api import FrozenArray, Latent, RenderRequest
from engine.fileio import atomic_output

PREFIX = "latentlab."
SOFTWARE = "LatentLab"
ARRAY_KEYS = ("z", "ws")


def latent_source(latent: Latent) -> str:
    """``seed``, ``z`` (an explicit z: an encoded image, a bookmark) or ``w+`` (an inverted image)."""
    return "w+" if latent.ws is not None else "z" if latent.z is not None else "seed"


def encode_array(a: FrozenArray | np.ndarray) -> str:
    """An array as base64 text of its ``.npy`` bytes (float32)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(a, dtype=np.float32), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_array(text: str) -> np.ndarray:
    """The array of :func:`encode_array` text (ValueError when it is not one)."""
    try:
        return np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f"not an encoded array: {e}") from None


def _number(v: float) -> str:
    return f"{float(v):.6g}"


def request_info(
    request: RenderRequest, model_name: str, model_source: str = "", classes: Sequence[str] = ()
) -> dict[str, str]:
    """The text chunks that describe one frame rendered for ``request`` by model ``model_name``."""
    lat, trunc, mix, noise = request.latent, request.truncation, request.mix, request.noise
    info = _model_info(model_name, model_source)
    info[PREFIX + "seed"] = str(int(lat.seed))
    info[PREFIX + "latent"] = latent_source(lat)
    if lat.ws is not None:
        info[PREFIX + "ws"] = encode_array(lat.ws)
    elif lat.z is not None:
        info[PREFIX + "z"] = encode_array(lat.z)
    if lat.class_index is not None:
        k = int(lat.class_index)
        info[PREFIX + "class"] = f"{k} ({classes[k]})" if 0 <= k < len(classes) else str(k)
    info.update(_sampling_info(trunc.psi, trunc.cutoff, noise.mode, noise.seed, noise.strength))
    if mix.active:
        weights = ",".join(_number(w) for w in mix.weights)
        info[PREFIX + "style_mix"] = f"seed {mix.seed} in {mix.space}, weights {weights}"
    described = _describe_edits(request)
    if described:
        info[PREFIX + "edits"] = described
    if request.view.options:
        info[PREFIX + "view"] = ", ".join(f"{k}={v}" for k, v in request.view.options)
    return info


def grid_info(
    seeds: Sequence[int], request: RenderRequest, model_name: str, model_source: str = "", columns: int | None = None
) -> dict[str, str]:
    """The text chunks of a grid of ``seeds``, each rendered as ``request`` with its seed."""
    info = request_info(request, model_name, model_source)
    for key in ("seed", "latent", "z", "ws"):
        info.pop(PREFIX + key, None)
    info[PREFIX + "seeds"] = ",".join(str(int(s)) for s in seeds)
    if columns is not None:
        info[PREFIX + "columns"] = str(int(columns))
    return info


def sampling_info(
    model_name: str,
    model_source: str,
    seeds: Sequence[int] | None,
    psi: float,
    cutoff: int | None,
    noise_mode: str,
    noise_seed: int = 0,
    class_label: str | None = None,
    columns: int | None = None,
) -> dict[str, str]:
    """The text chunks of images sampled outside the render pipeline (``latentlab generate``):
    ``seeds`` (None: explicit latents from a file), truncation, noise and class."""
    info = _model_info(model_name, model_source)
    if seeds is not None:
        info[PREFIX + "seeds"] = ",".join(str(int(s)) for s in seeds)
        info[PREFIX + "latent"] = "seed"
    else:
        info[PREFIX + "latent"] = "z"
    info.update(_sampling_info(psi, cutoff, noise_mode, noise_seed, None))
    if class_label is not None:
        info[PREFIX + "class"] = class_label
    if columns is not None:
        info[PREFIX + "columns"] = str(int(columns))
    return info


def _model_info(model_name: str, model_source: str) -> dict[str, str]:
    from engine import __version__

    info = {"Software": f"{SOFTWARE} {__version__}", PREFIX + "model": model_name}
    if model_source:
        info[PREFIX + "model_source"] = model_source
    return info


def _sampling_info(psi: float, cutoff: int | None, mode: str, seed: int, strength: float | None) -> dict[str, str]:
    info = {
        PREFIX + "psi": _number(psi),
        PREFIX + "cutoff": "none" if cutoff is None else str(int(cutoff)),
        PREFIX + "noise_mode": mode,
    }
    if mode == "random":
        info[PREFIX + "noise_seed"] = str(int(seed))
    if strength is not None and mode != "none":
        info[PREFIX + "noise_strength"] = _number(strength)
    return info


def _describe_edits(request: RenderRequest) -> str:
    """The edits of ``request`` in words (empty when there are none)."""
    e = request.edits
    parts = []
    if e.interpolation is not None:
        it = e.interpolation
        parts.append(f"interpolation toward seed {it.seed_b} at t={_number(it.t)} ({it.method} in {it.space})")
    if e.arithmetic is not None:
        terms = " ".join(
            f"{'+' if t.weight >= 0 else '-'}{_number(abs(t.weight))}×{'A' if t.seed is None else f'seed {t.seed}'}"
            for t in e.arithmetic.terms
        )
        parts.append(f"arithmetic {terms} in {e.arithmetic.space}")
    if any(d != 0 for d in e.directions):
        parts.append("stored directions " + ",".join(_number(d) for d in e.directions))
    if e.z_offset is not None:
        parts.append(f"z offset (norm {_number(float(np.linalg.norm(e.z_offset.array)))})")
    if e.w_offset is not None:
        layers = "" if e.w_offset_layers is None else f" on layers {e.w_offset_layers[0]}-{e.w_offset_layers[1]}"
        parts.append(f"w offset (norm {_number(float(np.linalg.norm(e.w_offset.array)))}){layers}")
    return "; ".join(parts)


def save_png(path: str | Path, image: np.ndarray, info: Mapping[str, str]) -> Path:
    """Write ``image`` (uint8 HWC, 1 or 3 channels) as a PNG with ``info`` as text chunks (the latent
    arrays compressed), atomically: an existing file at ``path`` is replaced only once the new one is
    complete."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"image must be uint8 HWC with 1 or 3 channels, got {image.dtype} {image.shape}")
    png = PngInfo()
    for key, value in info.items():
        png.add_text(key, str(value), zip=key.removeprefix(PREFIX) in ARRAY_KEYS)
    pil = Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image)
    with atomic_output(path) as tmp:
        pil.save(tmp, format="PNG", pnginfo=png)
    return Path(path)


def read_info(path: str | Path) -> dict[str, str]:
    """The LatentLab text chunks of a PNG (``latentlab.`` keys and ``Software``); empty when it has none."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        text = dict(getattr(im, "text", {}) or {})
    return {k: str(v) for k, v in text.items() if k.startswith(PREFIX) or k == "Software"}


__all__ = [
    "PREFIX",
    "decode_array",
    "encode_array",
    "grid_info",
    "latent_source",
    "read_info",
    "request_info",
    "sampling_info",
    "save_png",
]
