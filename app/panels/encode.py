"""The encode panel: bring an image into the model's latent.

- Models that encode into z (the VAE): open or drop an image; its z becomes the current latent.
- Models with a W space: "Project" optimises w or per-layer w+ to reproduce the image (a job whose
  reconstruction updates live, with Cancel); pSp models also offer "Encode" (their encoder, into
  W+). The result becomes the current latent (``Params.ws``), so the style, truncation, noise,
  direction and interpolation tools work from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.drops import reporting_drop_errors
from app.image_reader import ImageReader
from app.panels.base import ParamPanel
from app.params import Params
from app.widgets import compact_combo, no_drops, thumbnail_pair
from engine.api import JobProgress, JobResult
from engine.families.base import Capabilities
from engine.images import fit_image
from engine.latent.encode import EncodedImage, encode_image
from engine.latent.invert import Inversion
from engine.latent.invert_job import InversionJob, start_inversion
from engine.progress import Eta

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp *.gif *.tif *.tiff);;All files (*)"
THUMB = 112
DEFAULT_STEPS = 200
METHOD_LABELS = {"encoder": "Encode (pSp encoder)", "project": "Project (optimise)"}
SPACE_LABELS = {"wplus": "w+ (per layer)", "w": "w"}


class EncodePanel(ParamPanel):
    """Open image… (or drop one here or on the window); shows the input as the model sees it and
    its reconstruction; "Forget image" goes back to the seed's latent.

    The panel runs its own engine jobs: encoding into z, or (models with a W space) the inversion
    with live progress and Cancel; the result becomes the current latent (an undo step).
    """

    title = "Encode"
    takes_images = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_dir = str(Path.home())
        self.source: str | None = None
        self.image_path: str | None = None
        self.image: Image.Image | None = None  # the image read from image_path, shrunk to what the model needs
        self.w_mode = False
        self.running = False
        self.inversion: InversionJob | None = None
        self.reader = ImageReader(self)
        self._read_ticket: int | None = None
        self._eta: Eta | None = None
        self.setAcceptDrops(True)
        outer = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Bring an image file into the model's latent (or drop one here)")
        self.forget = QPushButton("Forget image")
        self.forget.setToolTip("Go back to the seed's latent")
        self.forget.setEnabled(False)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.forget)
        buttons.addStretch(1)
        outer.addLayout(buttons)

        self.w_controls = QWidget()
        form = QGridLayout(self.w_controls)
        form.setContentsMargins(0, 0, 0, 0)
        self.method = compact_combo()
        self.method.setToolTip("Encode: the pSp encoder (instant). Project: optimise the latent to fit the image")
        self.space = compact_combo()
        for key, label in SPACE_LABELS.items():
            self.space.addItem(label, key)
        self.space.setToolTip("Projection space: one w for all style layers, or one per layer (w+, closer fits)")
        self.steps = no_drops(QSpinBox())
        self.steps.setRange(10, 5000)
        self.steps.setSingleStep(50)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Optimiser steps of the projection")
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Invert the current image again with these settings")
        self.run_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        form.addWidget(QLabel("Method"), 0, 0)
        form.addWidget(self.method, 0, 1, 1, 3)
        form.addWidget(QLabel("Space"), 1, 0)
        form.addWidget(self.space, 1, 1)
        form.addWidget(QLabel("Steps"), 1, 2)
        form.addWidget(self.steps, 1, 3)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addStretch(1)
        form.addLayout(run_row, 2, 0, 1, 4)
        outer.addWidget(self.w_controls)

        grid, self.input_view, self.recon_view = thumbnail_pair(THUMB, ("Input", "Reconstruction"), "drop an\nimage")
        outer.addLayout(grid)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        outer.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        outer.addStretch(1)

        self.open_button.clicked.connect(self.open_dialog)
        self.forget.clicked.connect(lambda: self.emit_edit("forget image", latent={"z": None, "ws": None}))
        self.method.currentIndexChanged.connect(self._sync_controls)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        z_encoder = caps.image_input is not None and caps.encodes_into == "z" and caps.z_dim > 0
        return z_encoder or caps.w_space is not None

    # --- settings -------------------------------------------------------------------------------
    @property
    def current_method(self) -> str:
        return str(self.method.currentData() or "project")

    @property
    def current_space(self) -> str:
        return str(self.space.currentData() or "wplus")

    def _sync_controls(self) -> None:
        project = self.current_method == "project"
        self.space.setEnabled(project and not self.running)
        self.steps.setEnabled(project and not self.running)
        self.method.setEnabled(not self.running)
        self.run_button.setEnabled(self.image_path is not None and not self.running)
        self.cancel_button.setEnabled(self.running)
        self.open_button.setEnabled(not self.running)

    # --- images ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Encode image", self.start_dir, IMAGE_FILTER)
        if path:
            self.start_dir = str(Path(path).parent)
            self.take_image(path)

    def take_image(self, path: str) -> None:
        """Read ``path`` on a worker (a large photo is shrunk to what the model needs, a bad file gets a
        dialog naming it), then encode or invert it. Refused while an inversion runs."""
        if self.running:
            self.status.setText("An inversion is running: cancel it first")
            return
        caps = self.session.caps if self.session is not None else None
        if caps is None:
            self._failed(path, "encode", JobResult(0, error="Open a model first."))
            return
        need = max(caps.resolution, caps.image_input.size if caps.image_input is not None else 0)
        self.status.setText(f"Reading {Path(path).name}…")
        self.set_running(True)
        self._read_ticket = self.reader.read(
            path, need, lambda image: self._image_read(path, image), lambda reason: self._read_failed(path, reason)
        )

    def _image_read(self, path: str, image: Image.Image) -> None:
        self._read_ticket = None
        self.set_running(False)
        if not self.w_mode:
            self.encode(path, image)
            return
        self.image_path, self.image = path, image
        self.run()

    def _read_failed(self, path: str, reason: str) -> None:
        self._read_ticket = None
        self.show_failed(f"Could not read {Path(path).name}")
        self.session.show_error("Cannot open image", reason)

    def run(self) -> None:
        """Invert the current image with the current settings."""
        if self.image_path is None or self.image is None or self.running:
            return
        verb = "Encoding" if self.current_method == "encoder" else "Projecting"
        self.status.setText(f"{verb} {Path(self.image_path).name}…")
        self.set_running(True)
        self.invert(self.image_path, self.current_method, self.current_space, int(self.steps.value()), self.image)

    # --- jobs -----------------------------------------------------------------------------------
    def encode(self, path: str, image: Image.Image | None = None) -> None:
        """Encode an image (read from ``path``, or ``image`` already read from it) into the model's z
        (an engine job); on success its z becomes the current latent (an undo step) and the panel
        shows input and reconstruction."""
        caps = self.session.caps
        if image is None or caps is None or caps.image_input is None:
            if image is None and caps is not None:
                self.take_image(path)
            else:
                self._failed(path, "encode", JobResult(0, error="Open a model first."))
            return
        name = Path(path).name
        try:
            fitted = fit_image(image, caps.image_input.size, caps.image_input.channels)
        except (ValueError, OSError, MemoryError) as e:
            self._failed(path, "encode", JobResult(0, error=str(e)))
            return
        self.status.setText(f"Encoding {name}…")
        handle = self.session.model_job(
            f"encode {name}",
            lambda model: encode_image(model, fitted, path),
            on_done=self._encoded,
            on_error=lambda r: self._failed(path, "encode", r),
        )
        if handle is None:
            self._failed(path, "encode", JobResult(0, error="Open a model first."))

    def _encoded(self, enc: EncodedImage) -> None:
        session = self.session
        if session.caps is None or len(enc.z) != session.caps.z_dim:
            return
        self.show_encoded(enc.source, enc.input, enc.reconstruction)
        zeros = tuple(0.0 for _ in session.params.directions)
        session.edit("encode image", {"latent": {"z": enc.z, "ws": None}, "directions": zeros})
        session.seal_undo()
        session.status(f"Encoded {Path(enc.source).name}")

    def invert(self, path: str, method: str, space: str, steps: int, image: Image.Image | None = None) -> None:
        """Invert an image file (or ``image``, already read from it) into the model's W/W+ (pSp encoder
        or projection, an engine job whose reconstruction shows live); on success its ws becomes the
        current latent (an undo step)."""
        session = self.session
        if session.model_id is None or session.caps is None:
            self._failed(path, "invert", JobResult(0, error="Open a model first."))
            return

        def submit(name: str, fn: object) -> object:
            return session.submit_job(
                name,
                fn,
                on_progress=self._inversion_progress,
                on_done=self._inverted,
                on_error=lambda r: self._failed(path, "invert", r),
            )

        try:
            self.inversion = start_inversion(submit, session.model_id, session.caps, path, method, space, steps, image)
        except (ValueError, OSError, MemoryError) as e:  # an unreadable image, a method the model lacks
            self._failed(path, "invert", JobResult(0, error=str(e)))
            return
        self.show_input(self.inversion.input)
        session.status(f"Inverting {Path(path).name}…", 0)

    def cancel(self) -> None:
        """Stop reading the image or the running inversion; the current latent stays as it was."""
        if self._read_ticket is not None:
            self.reader.cancel(self._read_ticket)
            self._read_ticket = None
            self.show_failed("Cancelled")
        elif self.inversion is not None:
            self.inversion.handle.cancel()
        elif self.running:  # nothing left to wait for
            self.show_failed("Cancelled")

    def _inversion_progress(self, p: JobProgress) -> None:
        if self.inversion is not None:
            self.show_progress(p.done, p.total, p.message, self.inversion.take_preview())

    def _inverted(self, inv: Inversion) -> None:
        job, self.inversion = self.inversion, None
        caps = self.session.caps
        if job is None or caps is None or caps.w_space is None:
            return
        ws = inv.latent[0]
        if tuple(ws.shape) != (caps.w_space.num_ws, caps.w_space.w_dim):
            return
        self.show_encoded(job.path, job.input, inv.reconstruction[0])
        zeros = tuple(0.0 for _ in self.session.params.directions)
        self.session.edit("invert image", {"latent": {"ws": ws.cpu().numpy(), "z": None}, "directions": zeros})
        self.session.seal_undo()
        self.session.status(f"Inverted {Path(job.path).name}")

    def _failed(self, path: str, verb: str, result: JobResult) -> None:
        self.inversion = None
        name = Path(path).name
        if result.cancelled:
            self.show_failed(f"Cancelled: {name} was not inverted")
            self.session.status("Inversion cancelled")
            return
        self.show_failed(f"Could not {verb} {name}")
        title = "Cannot encode image" if verb == "encode" else "Cannot invert image"
        reason = result.error or "failed"
        text = reason if reason == "Open a model first." else f"Could not {verb} “{path}”.\n\n{reason}"
        self.session.show_error(title, text)

    def set_running(self, running: bool) -> None:
        self.running = running
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)  # busy until the first step reports
            self._eta = None
        self._sync_controls()

    def show_input(self, image: np.ndarray) -> None:
        self.input_view.set_frame(image)

    def show_progress(self, done: int, total: int, message: str, preview: np.ndarray | None) -> None:
        """A step of an inversion: progress bar, message with the time left (estimated from the steps
        so far), and the current reconstruction."""
        left = ""
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            if self._eta is None or self._eta.total != total:
                self._eta = Eta(total)
            left = self._eta.text(done)
        if message or left:
            self.status.setText(" — ".join(t for t in (message, left) if t))
        if preview is not None:
            self.recon_view.set_frame(preview)

    def show_encoded(self, source: str, image: np.ndarray, reconstruction: np.ndarray) -> None:
        """Show what the model saw and how it reconstructs it."""
        self.set_running(False)
        self.source = source
        self.input_view.set_frame(image)
        self.recon_view.set_frame(reconstruction)
        self.status.setText(f"{Path(source).name}: its latent is now the current one")

    def show_failed(self, reason: str) -> None:
        self.set_running(False)
        self.status.setText(reason)

    def set_capabilities(self, caps: Capabilities) -> None:
        self.reader.cancel(self._read_ticket)
        self._read_ticket = None
        self.source = None
        self.image_path = None
        self.image = None
        self.running = False
        self.progress.setVisible(False)
        self.input_view.set_frame(None)
        self.recon_view.set_frame(None)
        self.w_mode = caps.w_space is not None
        self.w_controls.setVisible(self.w_mode)
        self.method.blockSignals(True)
        self.method.clear()
        if caps.encodes_into == "w+":
            self.method.addItem(METHOD_LABELS["encoder"], "encoder")
        if self.w_mode:
            self.method.addItem(METHOD_LABELS["project"], "project")
        self.method.blockSignals(False)
        self._sync_controls()
        if self.w_mode:
            self.status.setText(f"Open or drop an image; it is fitted to {caps.resolution}×{caps.resolution}")
        else:
            ii = caps.image_input
            self.status.setText(f"Images are fitted to {ii.size}×{ii.size}, {ii.channels} channel(s)" if ii else "")

    def set_params(self, params: Params) -> None:
        self.forget.setEnabled(params.latent.z is not None or params.latent.ws is not None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        with reporting_drop_errors(self.session.show_error, paths):
            self.take_image(paths[-1])
