"""Inverting an image file as an engine job (for front ends): read and fit the image, run the pSp
encoder or the projection on the engine thread, and keep the latest projection preview.

The preview is written by the engine thread and taken by the front end when a progress report for
the job arrives (a single reference swap, so no lock is needed).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from engine.api import JobHandle
from engine.families.base import Capabilities
from engine.images import fit_image, read_image, to_tensor
from engine.latent.invert import Inversion, encode_batch_steps, project_batch_steps
from engine.latent.project import ProjectConfig

PREVIEW_EVERY = 5


@dataclass
class InversionJob:
    """A submitted inversion: its job handle, the image file, what the model sees (uint8 HWC) and
    the model it runs on. ``take_preview()`` returns the newest reconstruction once (else None)."""

    handle: JobHandle
    path: str
    input: np.ndarray
    model_id: str
    _preview: list[np.ndarray | None] = field(default_factory=lambda: [None], repr=False)

    def take_preview(self) -> np.ndarray | None:
        image, self._preview[0] = self._preview[0], None
        return image


def start_inversion(
    submit: Callable[[str, Callable[[Any], Any]], JobHandle],
    model_id: str,
    caps: Capabilities,
    path: str,
    method: str,
    space: str = "wplus",
    steps: int = 200,
    image: Image.Image | None = None,
) -> InversionJob:
    """Read ``path`` (or take ``image``, already read from it), fit it to the model's input for ``method``
    ("encoder" | "project") and submit the inversion with ``submit(name, fn)`` (``Engine.submit_job`` or
    the GUI client's). Projection keeps the model's own noise maps, so the resulting ws renders the
    same in the explorer.

    Raises ValueError (one line) for unreadable images or a method the model does not have.
    """
    if caps.w_space is None:
        raise ValueError(f"{caps.family} models have no W space")
    if method == "encoder":
        if caps.encodes_into != "w+" or caps.image_input is None:
            raise ValueError(f"{caps.family} models have no encoder into W+")
        size, channels = caps.image_input.size, caps.image_input.channels
    elif method == "project":
        size, channels = caps.resolution, caps.channels
    else:
        raise ValueError(f"unknown inversion method {method!r}")
    fitted = fit_image(read_image(path) if image is None else image, size, channels)
    config = ProjectConfig(steps=int(steps), space=space, optimize_noise=False, preview_every=PREVIEW_EVERY)
    preview: list[np.ndarray | None] = [None]

    def put_preview(image: np.ndarray, step: int, loss: float) -> None:
        preview[0] = image

    def run(ctx: Any) -> Generator[tuple[int, int, str], None, Inversion]:
        model = ctx.model(model_id)
        x = to_tensor(fitted, model.device)
        if method == "encoder":
            return (yield from encode_batch_steps(model, x))
        return (yield from project_batch_steps(model, x, config, put_preview))

    name = "encode" if method == "encoder" else "project"
    return InversionJob(submit(f"{name} {path}", run), path, fitted, model_id, preview)


__all__ = ["InversionJob", "start_inversion"]
