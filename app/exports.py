"""Save image… and Save grid…: their dialogs, and the engine jobs that resize and write the PNG (never
on the GUI thread), recording how the image was made in its text chunks (:mod:`engine.image_info`).
(Export video… belongs to the Interpolate panel, which owns the walk.)"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.dialogs import GridSave, ImageSave, SaveGridDialog, SaveImageDialog
from app.session import Session
from app.settings import Settings
from engine.api import JobHandle, JobResult, Latent, RenderRequest
from engine.families import LoadedModel
from engine.grid import make_grid
from engine.image_info import grid_info, request_info, save_png
from engine.render import LRUCache, render
from engine.video import OutputSize, resize

log = logging.getLogger(__name__)


class Exports(QObject):
    """The explorer's Save image… and Save grid… for ``session``; ``frame()`` gives the image on the
    canvas (the translate pair of a model without a latent). The dialogs are non-modal (``open()``) and
    kept in :attr:`dialog` until they close."""

    def __init__(self, session: Session, settings: Settings, frame: Any, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.frame = frame
        self.window = parent
        self.dialog: SaveImageDialog | SaveGridDialog | None = None

    # --- Save image… ---------------------------------------------------------------------------------
    def current_image(self) -> tuple[np.ndarray, dict[str, str]] | None:
        """The frame on the canvas and its text chunks: the rendered request's settings for a model
        with a latent, the model alone for a translation pair (None when nothing is shown)."""
        model = self.session.model
        if model is None:
            return None
        last = self.session.last_frame
        if model.caps.renders_latent and last is not None and last.image is not None:
            return last.image, request_info(last.request, model.name, model.source, model.caps.classes)
        image = self.frame()
        if image is None:
            return None
        return image, {"Software": "LatentLab", "latentlab.model": model.name, "latentlab.model_source": model.source}

    def save_image_dialog(self) -> SaveImageDialog | None:
        """Open Save image… in the last-used folder (a status message when nothing is shown yet)."""
        shown = self.current_image()
        model = self.session.model
        if shown is None or model is None:
            self.session.status("Nothing to save yet")
            return None
        image = shown[0]
        seed = self.session.last_frame.request.latent.seed if self.session.last_frame is not None else 0
        name = f"{model.name}-seed{seed}.png" if model.caps.renders_latent else f"{model.name}.png"
        dialog = SaveImageDialog(self.settings, name, model.caps.resolution, image.shape[:2], self.window)
        dialog.accepted.connect(lambda: self.save_image(dialog.value().path, dialog.value().size))
        return self._open(dialog)

    def save_image(self, path: str, size: OutputSize | None = None) -> JobHandle | None:
        """Write the frame on the canvas to ``path`` as a PNG at ``size`` (an engine job)."""
        shown = self.current_image()
        if shown is None:
            self.session.status("Nothing to save yet")
            return None
        image, info = shown
        size = size or OutputSize()
        target = size.of(*image.shape[:2])

        def job(_ctx: object) -> Path:
            return save_png(path, resize(image, target, size.smooth), info)

        return self._submit(f"save {Path(path).name}", job, path, "Cannot save image")

    # --- Save grid… ----------------------------------------------------------------------------------
    def save_grid_dialog(self) -> SaveGridDialog | None:
        """Open Save grid… (models with a latent)."""
        model = self.session.model
        if model is None or not model.caps.renders_latent:
            self.session.status("Save grid needs a model that generates from a latent")
            return None
        seed = int(self.session.params.latent.seed)
        dialog = SaveGridDialog(self.settings, model.name, model.caps.resolution, seed, self.window)
        dialog.accepted.connect(lambda: self.save_grid(dialog.value()))
        return self._open(dialog)

    def save_grid(self, grid: GridSave) -> JobHandle | None:
        """Render ``grid.seeds`` with every other current setting and write the grid (an engine job
        with progress and Cancel)."""
        base, model = self.session.request(), self.session.model
        if base is None or model is None or not model.caps.renders_latent:
            self.session.status("Save grid needs a model that generates from a latent")
            return None
        seeds, size, path = list(grid.seeds), grid.size, grid.path
        info = grid_info(seeds, base, model.name, model.source, grid.columns)

        def job(m: LoadedModel) -> Generator[tuple[int, int, str], None, Path]:
            cache = LRUCache()
            tiles = []
            for i, seed in enumerate(seeds):
                req = _with_seed(base, seed)
                frame = render(m, req, cache)
                tiles.append(resize(frame, size.of(*frame.shape[:2]), size.smooth))
                yield i + 1, len(seeds) + 1, f"seed {seed}"
            out = save_png(path, make_grid(np.stack(tiles), grid.columns), info)
            yield len(seeds) + 1, len(seeds) + 1, "writing"
            return out

        return self._submit(
            f"grid {Path(path).name}", job, path, "Cannot save grid", model_bound=True, total=len(seeds) + 1
        )

    # --- shared ---------------------------------------------------------------------------------------
    def _open(self, dialog: Any) -> Any:
        self.dialog = dialog
        dialog.finished.connect(lambda _: setattr(self, "dialog", None) if self.dialog is dialog else None)
        dialog.open()
        return dialog

    def _submit(
        self, name: str, fn: Any, path: str, title: str, model_bound: bool = False, total: int = 0
    ) -> JobHandle | None:
        session = self.session

        def failed(result: JobResult) -> None:
            if result.cancelled:
                session.status("Cancelled; nothing was written")
            else:
                session.show_error(title, f"Could not write “{path}”.\n\n{result.error}")

        submit = session.model_job if model_bound else session.submit_job
        handle = submit(
            name,
            fn,
            on_done=lambda out: session.status(f"Saved {out}", 5000),
            on_error=failed,
            task=f"Saving {Path(path).name}",
            total=total,
            current_only=False,  # the file is written whichever model is open by then
        )
        return handle


def _with_seed(base: RenderRequest, seed: int) -> RenderRequest:
    """``base`` with the latent of ``seed`` (its class kept; an explicit z or W+ dropped)."""
    return dataclasses.replace(base, latent=Latent(int(seed), class_index=base.latent.class_index))


__all__ = ["Exports", "ImageSave"]
