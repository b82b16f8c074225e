"""One labelled slider row per layer (style or noise layers), with a value readout and a reset button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.widgets import FloatSlider


class SliderRow(QWidget):
    """``label [slider] value [reset]``; ``changed(index, value)`` on every user change."""

    changed = Signal(int, float)
    released = Signal()

    def __init__(
        self,
        index: int,
        label: str,
        lo: float,
        hi: float,
        default: float,
        step: float = 0.01,
        tooltip: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.index = index
        self.default = float(default)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.label = QLabel(label)
        self.label.setMinimumWidth(74)
        self.slider = FloatSlider(lo, hi, step=step, value=default)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(32)
        self.reset = QToolButton()
        self.reset.setText("Reset")
        self.reset.setToolTip(f"Back to {self.default:g}")
        self.reset.setAutoRaise(True)
        if tooltip:
            self.label.setToolTip(tooltip)
            self.slider.setToolTip(tooltip)
        lay.addWidget(self.label)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.value_label)
        lay.addWidget(self.reset)
        self._show(self.default)
        self.slider.floatValueChanged.connect(self._on_slider)
        self.slider.sliderReleased.connect(self.released.emit)
        self.reset.clicked.connect(lambda: self.slider.setValue(self.slider.to_int(self.default)))

    def _show(self, v: float) -> None:
        self.value_label.setText(f"{v:.2f}")

    def _on_slider(self, v: float) -> None:
        self._show(v)
        self.changed.emit(self.index, v)

    def value(self) -> float:
        return self.slider.float_value()

    def set_value(self, v: float) -> None:
        """Show ``v`` without emitting ``changed``."""
        self.slider.set_float(v)
        self._show(self.slider.float_value())
