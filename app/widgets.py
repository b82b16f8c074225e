"""Small reusable widgets: a float-valued slider, seed spin boxes, a scrollable column."""

from __future__ import annotations

import random

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from app.canvas import to_qimage
from engine.api import MAX_SEED

ROW_PX = 26
"""The height of one slider row (a label, a slider, a value and a reset button)."""


def no_drops(widget: QAbstractSpinBox) -> QAbstractSpinBox:
    """Stop a spin box from swallowing dropped files, so drops reach the main window."""
    widget.setAcceptDrops(False)
    line = widget.lineEdit()
    if line is not None:
        line.setAcceptDrops(False)
    return widget


class FloatSlider(QSlider):
    """A horizontal QSlider over a float range ``[lo, hi]`` with a fixed step.

    The integer API (``setValue``/``value``) still works, as a user would drive it;
    ``floatValueChanged`` reports the float behind every change.
    """

    floatValueChanged = Signal(float)

    def __init__(
        self, lo: float, hi: float, step: float = 0.01, value: float | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.lo, self.hi, self.step = float(lo), float(hi), float(step)
        self.setRange(0, round((self.hi - self.lo) / self.step))
        self.setSingleStep(1)
        self.setPageStep(max(1, self.maximum() // 10))
        self.setMinimumWidth(80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.set_float(self.lo if value is None else value)
        self.valueChanged.connect(lambda _v: self.floatValueChanged.emit(self.float_value()))

    def float_value(self) -> float:
        return round(self.lo + self.value() * self.step, 6)

    def to_int(self, value: float) -> int:
        return max(self.minimum(), min(self.maximum(), round((float(value) - self.lo) / self.step)))

    def set_float(self, value: float) -> None:
        """Show ``value`` without emitting any signal."""
        blocked = self.blockSignals(True)
        self.setValue(self.to_int(value))
        self.blockSignals(blocked)


def compact_combo(min_chars: int = 10) -> QComboBox:
    """A combo box that may be narrower than its longest entry (the popup still shows it whole),
    so a long entry never widens its dock."""
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(min_chars)
    return combo


def section(title: str) -> QCollapsible:
    """A collapsible section (superqt) with the usual ▸ / ▾ markers, opening without animation."""
    box = QCollapsible(title, expandedIcon="▾", collapsedIcon="▸")
    box.setDuration(0)
    return box


def float_spin(lo: float, hi: float, step: float = 0.01, decimals: int = 2) -> QDoubleSpinBox:
    """A compact double spin box that never takes dropped files."""
    spin = QDoubleSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    no_drops(spin)
    return spin


def seed_spin() -> QSpinBox:
    """A spin box for seeds 0..MAX_SEED."""
    spin = QSpinBox()
    spin.setRange(0, MAX_SEED)
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    spin.setMinimumWidth(110)
    no_drops(spin)
    return spin


def random_seed() -> int:
    return random.randint(0, MAX_SEED)


def set_silently(widget: QWidget, setter: str, value: object) -> None:
    """Call ``widget.<setter>(value)`` with the widget's signals blocked."""
    blocked = widget.blockSignals(True)
    getattr(widget, setter)(value)
    widget.blockSignals(blocked)


class ScrollColumn(QScrollArea):
    """A vertical scroll area holding a column of rows (for long slider lists); never shorter than
    ``MIN_ROWS`` rows."""

    MIN_ROWS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(self.MIN_ROWS * ROW_PX)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.column = QVBoxLayout(self.inner)
        self.column.setContentsMargins(0, 0, 4, 0)
        self.column.setSpacing(2)
        self.setWidget(self.inner)

    def clear(self) -> None:
        """Remove and delete every row."""
        while self.column.count():
            item = self.column.takeAt(0)
            w = item.widget()
            if w is not None:
                w.setParent(None)
                w.deleteLater()


class Thumbnail(QLabel):
    """A small fixed-size view of one uint8 HWC frame (nearest-neighbour scaled, aspect kept)."""

    def __init__(self, size: int = 72, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = int(size)
        self.frame: np.ndarray | None = None
        self.setFixedSize(self.side, self.side)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("background: #202124; color: #aaa;")
        self.placeholder = placeholder
        self.setText(placeholder)

    def set_frame(self, frame: np.ndarray | None) -> None:
        """Show ``frame`` (None clears it back to the placeholder)."""
        self.frame = frame
        if frame is None:
            self.setPixmap(QPixmap())
            self.setText(self.placeholder)
            return
        pix = QPixmap.fromImage(to_qimage(frame))
        inner = self.side - 4
        self.setPixmap(
            pix.scaled(inner, inner, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
        )


def thumbnail_pair(
    size: int, titles: tuple[str, str], placeholder: str = ""
) -> tuple[QGridLayout, Thumbnail, Thumbnail]:
    """Two captioned thumbnails side by side (e.g. an input and what the model made of it)."""
    grid = QGridLayout()
    left, right = Thumbnail(size, placeholder), Thumbnail(size, "")
    for col, (title, view) in enumerate(zip(titles, (left, right))):
        grid.addWidget(QLabel(title), 0, col, Qt.AlignmentFlag.AlignHCenter)
        grid.addWidget(view, 1, col, Qt.AlignmentFlag.AlignHCenter)
    return grid, left, right


class Tile(Thumbnail):
    """A clickable thumbnail; ``checkable`` tiles toggle a highlighted frame when clicked."""

    clicked = Signal()

    def __init__(self, size: int, checkable: bool = False) -> None:
        super().__init__(size, "")
        self.checkable = checkable
        self.checked = False
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_checked(self, on: bool) -> None:
        self.checked = on
        colour = "#f4b400" if on else "#202124"
        self.setStyleSheet(f"background: #202124; color: #aaa; border: 3px solid {colour};")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            if self.checkable:
                self.set_checked(not self.checked)
            self.clicked.emit()
        super().mousePressEvent(event)
