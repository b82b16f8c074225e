"""The central canvas: shows the current uint8 frame scaled to fit, keeping its aspect ratio."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

PLACEHOLDER = "Open a model (Ctrl+O) or drop a checkpoint file here"


def to_qimage(frame: np.ndarray) -> QImage:
    """A QImage owning a copy of a uint8 HWC (1, 3 or 4 channels) or HW array."""
    a = np.ascontiguousarray(frame)
    if a.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {a.dtype}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = np.ascontiguousarray(a[:, :, 0])
    h, w = a.shape[:2]
    if a.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    elif a.shape[2] == 3:
        fmt = QImage.Format.Format_RGB888
    elif a.shape[2] == 4:
        fmt = QImage.Format.Format_RGBA8888
    else:
        raise ValueError(f"cannot show an image with {a.shape[2]} channels")
    return QImage(a.data, w, h, a.strides[0], fmt).copy()


class Canvas(QWidget):
    """Shows one frame, scaled to fit; smooth or nearest-neighbour scaling.

    Drops are handled by the main window (the canvas lets them through to its parent).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame: np.ndarray | None = None
        self._image: QImage | None = None
        self.smooth = True
        self.placeholder = PLACEHOLDER
        self.label = ""  # what the frame is (e.g. "preview 64×64"), drawn in a corner; empty: nothing
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setAutoFillBackground(False)

    def sizeHint(self) -> QSize:
        return QSize(720, 720)

    def set_frame(self, frame: np.ndarray | None) -> None:
        """Show ``frame`` (uint8 HWC); None clears the canvas."""
        self.frame = frame
        self._image = to_qimage(frame) if frame is not None else None
        self.update()

    def image(self) -> QImage | None:
        """The frame as a QImage (None when empty)."""
        return self._image

    def set_smooth(self, smooth: bool) -> None:
        self.smooth = bool(smooth)
        self.update()

    def set_label(self, text: str) -> None:
        """Say what the canvas shows (a preview or the full frame) in its top-left corner; "" hides it."""
        if text != self.label:
            self.label = text
            self.update()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def target_rect(self) -> QRectF:
        """Where the frame is drawn: as large as fits, centred, aspect kept."""
        if self._image is None:
            return QRectF()
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(32, 33, 36))
        if self._image is None:
            p.setPen(QColor(170, 170, 170))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
        else:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.smooth)
            p.drawImage(self.target_rect(), self._image)
            if self.label:
                box = p.fontMetrics().boundingRect(self.label).adjusted(-6, -3, 6, 3)
                box.moveTopLeft(self.rect().topLeft() + QPoint(8, 8))
                p.fillRect(box, QColor(0, 0, 0, 150))
                p.setPen(QColor(235, 235, 235))
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)
        p.end()
