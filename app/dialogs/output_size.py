"""The output size row shared by the export and save dialogs: model size ×1/×2/×4/×8, "auto" (about
512 px: ×8 for a 64 px model) or an exact size in pixels, resampled with nearest neighbours or smoothly."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from engine.video import DEFAULT_PIXELS, SCALES, OutputSize, default_scale

AUTO = "auto"
PIXELS = "pixels"


class SizeRow(QWidget):
    """Size (auto / ×N / pixels), a pixel spin box (for "pixels"), and nearest | smooth; ``changed()``.

    ``resolution`` is the model's frame size (its longest side), ``even`` rounds the result up to even
    sides (MP4 and WebM need them)."""

    changed = Signal()

    def __init__(self, resolution: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resolution = max(1, int(resolution))
        self.frame_shape = (self.resolution, self.resolution)
        self.even = False
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.size_box = QComboBox()
        self.size_box.addItem(f"Auto (×{default_scale(self.resolution)}, about {DEFAULT_PIXELS} px)", AUTO)
        for s in SCALES:
            self.size_box.addItem(f"×{s} ({s * self.resolution} px)", str(s))
        self.size_box.addItem("Pixels", PIXELS)
        self.size_box.setToolTip("The output size: a multiple of the model's size, or the longest side in pixels")
        self.pixels = QSpinBox()
        self.pixels.setRange(16, 8192)
        self.pixels.setSuffix(" px")
        self.pixels.setValue(DEFAULT_PIXELS)
        self.pixels.setToolTip("The longest side of the output, in pixels")
        self.resample = QComboBox()
        self.resample.addItem("Nearest (crisp pixels)", False)
        self.resample.addItem("Smooth", True)
        self.resample.setToolTip("How frames are enlarged: repeat pixels (sharp), or interpolate (Lanczos)")
        self.result = QLabel()
        for w in (self.size_box, self.pixels, self.resample, self.result):
            row.addWidget(w)
        row.addStretch(1)
        for sig in (self.size_box.currentIndexChanged, self.pixels.valueChanged, self.resample.currentIndexChanged):
            sig.connect(self._changed)
        self._changed()

    def set_frame_shape(self, height: int, width: int) -> None:
        """The size of what is saved (a frame, a grid) when it is not a square of ``resolution``."""
        self.frame_shape = (max(1, height), max(1, width))
        self._changed()

    def set_even(self, even: bool) -> None:
        self.even = even
        self._changed()

    def value(self) -> OutputSize:
        """The chosen size."""
        mode = self.size_box.currentData()
        smooth = bool(self.resample.currentData())
        if mode == PIXELS:
            return OutputSize(pixels=int(self.pixels.value()), smooth=smooth)
        scale = default_scale(self.resolution) if mode == AUTO else int(mode)
        return OutputSize(scale=scale, smooth=smooth)

    def out_shape(self) -> tuple[int, int]:
        """(height, width) of the output."""
        return self.value().of(*self.frame_shape, even=self.even)

    def choices(self) -> dict[str, Any]:
        return {"size": self.size_box.currentData(), "pixels": int(self.pixels.value()), "smooth": self.smooth}

    @property
    def smooth(self) -> bool:
        return bool(self.resample.currentData())

    def restore(self, choices: dict[str, Any]) -> None:
        """Show remembered :meth:`choices` (unknown values are ignored)."""
        i = self.size_box.findData(str(choices.get("size", AUTO)))
        if i >= 0:
            self.size_box.setCurrentIndex(i)
        if isinstance(choices.get("pixels"), int):
            self.pixels.setValue(int(choices["pixels"]))
        if isinstance(choices.get("smooth"), bool):
            self.resample.setCurrentIndex(1 if choices["smooth"] else 0)

    def _changed(self) -> None:
        self.pixels.setVisible(self.size_box.currentData() == PIXELS)
        h, w = self.out_shape()
        self.result.setText(f"→ {w}×{h}")
        self.changed.emit()
