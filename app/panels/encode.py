"""The encode panel (models that encode images into z): open or drop an image, see its reconstruction,
and make its latent the current one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.panels.base import ParamPanel
from app.params import Params
from app.widgets import Thumbnail
from engine.families.base import Capabilities

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp *.gif *.tif *.tiff);;All files (*)"
THUMB = 112


class EncodePanel(ParamPanel):
    """Open image… (or drop one here or on the window); shows the input as the model sees it and
    its reconstruction; "Forget image" goes back to the seed's latent."""

    title = "Encode"
    takes_images = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_dir = str(Path.home())
        self.source: str | None = None
        self.setAcceptDrops(True)
        outer = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Encode an image file into the model's latent (or drop one here)")
        self.forget = QPushButton("Forget image")
        self.forget.setToolTip("Go back to the seed's latent")
        self.forget.setEnabled(False)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.forget)
        buttons.addStretch(1)
        outer.addLayout(buttons)

        grid = QGridLayout()
        self.input_view = Thumbnail(THUMB, "drop an\nimage")
        self.recon_view = Thumbnail(THUMB, "")
        grid.addWidget(QLabel("Input"), 0, 0, Qt.AlignmentFlag.AlignHCenter)
        grid.addWidget(QLabel("Reconstruction"), 0, 1, Qt.AlignmentFlag.AlignHCenter)
        grid.addWidget(self.input_view, 1, 0, Qt.AlignmentFlag.AlignHCenter)
        grid.addWidget(self.recon_view, 1, 1, Qt.AlignmentFlag.AlignHCenter)
        outer.addLayout(grid)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        outer.addStretch(1)

        self.open_button.clicked.connect(self.open_dialog)
        self.forget.clicked.connect(lambda: self.emit_edit("forget image", z=None))

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.image_input is not None and caps.encodes_into == "z" and caps.z_dim > 0

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Encode image", self.start_dir, IMAGE_FILTER)
        if path:
            self.start_dir = str(Path(path).parent)
            self.take_image(path)

    def take_image(self, path: str) -> None:
        self.status.setText(f"Encoding {Path(path).name}…")
        super().take_image(path)

    def show_encoded(self, source: str, image: np.ndarray, reconstruction: np.ndarray) -> None:
        """Show what the model saw and how it reconstructs it."""
        self.source = source
        self.input_view.set_frame(image)
        self.recon_view.set_frame(reconstruction)
        self.status.setText(f"{Path(source).name}: its latent is now the current one")

    def show_failed(self, reason: str) -> None:
        self.status.setText(reason)

    def set_capabilities(self, caps: Capabilities) -> None:
        self.source = None
        self.input_view.set_frame(None)
        self.recon_view.set_frame(None)
        ii = caps.image_input
        self.status.setText(f"Images are fitted to {ii.size}×{ii.size}, {ii.channels} channel(s)" if ii else "")

    def set_params(self, params: Params) -> None:
        self.forget.setEnabled(params.z is not None)

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
        self.take_image(paths[-1])
