"""Inversion: an image → a latent of the model, by its encoder (pSp into W+, the VAE into z) or by
optimiser projection into W / W+ (:mod:`engine.latent.project`), and the ``.npz`` latent file.

A latent file holds plain arrays and a JSON header (loading executes nothing): ``latent`` —
``[N, num_ws, w_dim]`` for the spaces "w+"/"w", ``[N, z_dim]`` for "z" —, optional ``noise/NAME``
maps (projection with optimised noise) and ``header`` (space, method, model name, family).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.errors import DataError
from engine.families import LoadedModel
from engine.fileio import atomic_write
from engine.latent.project import ProjectConfig, project_steps
from engine.limits import MAX_LATENT_FILE_BYTES, ZIP_MAX_RATIO
from engine.npz import read_npz
from engine.render import to_uint8

METHODS = ("project", "encoder")
LATENT_FORMAT = "latentlab-latent"


@dataclass(frozen=True)
class Inversion:
    """An inverted batch: ``latent`` in ``space`` ("w+", "w" or "z"; cpu float32), the model's
    reconstruction (uint8 NHWC), and the projection's optimised noise maps (else None)."""

    space: str
    method: str
    latent: torch.Tensor
    reconstruction: np.ndarray
    noise: dict[str, torch.Tensor] | None = None
    losses: tuple[float, ...] = field(default=())


def default_method(model: LoadedModel) -> str:
    """``encoder`` for models with an encoder (pSp, VAE), else ``project``."""
    return "encoder" if model.capabilities.encodes_into else "project"


def input_shape(model: LoadedModel, method: str) -> tuple[int, int]:
    """(size, channels) an image must have for ``method`` on ``model`` (raises ValueError when it cannot)."""
    caps = model.capabilities
    if method == "encoder":
        if caps.encodes_into is None or caps.image_input is None:
            raise ValueError(f"{caps.family} models have no encoder (use --method project on a model with W)")
        return caps.image_input.size, caps.image_input.channels
    if method == "project":
        if caps.w_space is None:
            raise ValueError(f"{caps.family} models have no W space to project into")
        return caps.resolution, caps.channels
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def encode_batch_steps(model: LoadedModel, images: torch.Tensor) -> Generator[tuple[int, int, str], None, Inversion]:
    """Encode ``images`` [N, C, S, S] in [-1, 1] with the model's encoder (into W+ or z), in two steps
    (encode, then render the reconstruction) so a front end shows where it is and can cancel between
    them: a 1024 px decoder's frame takes seconds on a CPU. Yields ``(done, 2, message)``."""
    caps = model.capabilities
    input_shape(model, "encoder")
    if images.ndim != 4 or images.shape[1] != caps.image_input.channels:
        raise ValueError(f"images must be [N, {caps.image_input.channels}, S, S], got {list(images.shape)}")
    with torch.no_grad():
        latent = model.encode(images.float().to(model.device)).float()
    yield (1, 2, "encoded; rendering the reconstruction")
    with torch.no_grad():
        recon = to_uint8(model.decode(latent))
    space = "w+" if caps.encodes_into == "w+" else caps.encodes_into
    return Inversion(space, "encoder", latent.cpu(), recon)


def encode_batch(model: LoadedModel, images: torch.Tensor) -> Inversion:
    """:func:`encode_batch_steps` run to its end."""
    return run_steps(encode_batch_steps(model, images))


def project_batch_steps(
    model: LoadedModel,
    images: torch.Tensor,
    config: ProjectConfig,
    on_preview: Callable[[np.ndarray, int, float], None] | None = None,
) -> Generator[tuple[int, int, str], None, Inversion]:
    """Project each of ``images`` [N, C, R, R] in turn; yields ``(done, total, message)`` per step."""
    caps = model.capabilities
    input_shape(model, "project")
    if images.ndim != 4 or images.shape[1:] != (caps.channels, caps.resolution, caps.resolution):
        raise ValueError(
            f"images must be [N, {caps.channels}, {caps.resolution}, {caps.resolution}], got {list(images.shape)}"
        )
    n = images.shape[0]
    total = n * config.steps
    results = []
    for i in range(n):
        steps = project_steps(model, images[i : i + 1], config, on_preview)
        while True:
            try:
                done, _, msg = next(steps)
            except StopIteration as stop:
                results.append(stop.value)
                break
            prefix = f"image {i + 1}/{n}: " if n > 1 else ""
            yield (i * config.steps + done, total, prefix + msg)
    ws = torch.cat([r.ws for r in results])
    noise = results[0].noise if n == 1 else None
    recon = np.stack([r.image for r in results])
    space = "w" if config.space == "w" else "w+"
    return Inversion(space, "project", ws, recon, noise, tuple(r.loss for r in results))


def run_steps(steps: Generator[Any, None, Any], on_progress: Callable[[Any], None] | None = None) -> Any:
    """Drive a step generator to its end (calling ``on_progress`` with each yield); returns its value."""
    while True:
        try:
            p = next(steps)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(p)


def save_latent(path: str | Path, inv: Inversion, model: LoadedModel, source: str = "") -> Path:
    """Write ``inv`` as an ``.npz`` latent file (atomically); returns the path."""
    p = Path(path)
    header = {
        "format": LATENT_FORMAT,
        "space": inv.space,
        "method": inv.method,
        "model": str(model.meta.get("name", "")),
        "family": model.family,
        "source": source,
        "losses": list(inv.losses),
    }
    arrays: dict[str, np.ndarray] = {"latent": inv.latent.numpy().astype(np.float32)}
    for name, t in (inv.noise or {}).items():
        arrays[f"noise/{name}"] = t.numpy().astype(np.float32)
    arrays["header"] = np.array(json.dumps(header))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    atomic_write(p, write)
    return p


def load_latent(path: str | Path) -> tuple[str, np.ndarray, dict[str, Any]]:
    """Read a latent file: ``(space, latent array, header)``; ValueError with a reason when it is not one."""
    p = Path(path)
    try:
        arrays = read_npz(p, ("header", "latent"), MAX_LATENT_FILE_BYTES, ZIP_MAX_RATIO)  # checked headers first
    except DataError as e:
        raise DataError(f"not a LatentLab latent file ({e.reason})", p) from None
    try:
        header = json.loads(str(arrays["header"]))
        latent = np.asarray(arrays["latent"], dtype=np.float32)
    except (KeyError, ValueError, TypeError, RecursionError) as e:
        raise ValueError(f"'{p.name}' is not a LatentLab latent file ({e.__class__.__name__})") from e
    if not isinstance(header, dict) or header.get("format") != LATENT_FORMAT:
        raise ValueError(f"'{p.name}' is not a LatentLab latent file")
    return str(header.get("space")), latent, header


__all__ = [
    "METHODS",
    "Inversion",
    "default_method",
    "encode_batch",
    "encode_batch_steps",
    "input_shape",
    "load_latent",
    "project_batch_steps",
    "run_steps",
    "save_latent",
]
