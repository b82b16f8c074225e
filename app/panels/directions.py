"""The directions panel (models that store latent directions): one slider per direction, ±3 std."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.panels.base import ParamPanel
from app.panels.rows import SliderRow
from app.params import Params
from app.widgets import FloatSlider, ScrollColumn
from engine.families.base import Capabilities

RANGE = (-3.0, 3.0)


class DirectionsPanel(ParamPanel):
    """Move the latent along the model's principal directions, in standard deviations of the data."""

    title = "Directions"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[SliderRow] = []
        outer = QVBoxLayout(self)
        hint = QLabel("Offsets along the principal directions of the data (in standard deviations)")
        hint.setWordWrap(True)
        outer.addWidget(hint)
        self.reset_all = QPushButton("Reset all")
        self.reset_all.setToolTip("Every offset back to 0")
        outer.addWidget(self.reset_all)
        self.scroll = ScrollColumn()
        outer.addWidget(self.scroll, 1)
        self.reset_all.clicked.connect(self._reset)

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.latent_directions > 0 and caps.z_dim > 0

    @property
    def sliders(self) -> list[FloatSlider]:
        return [r.slider for r in self.rows]

    def values(self) -> tuple[float, ...]:
        return tuple(r.value() for r in self.rows)

    def _reset(self) -> None:
        for row in self.rows:
            row.set_value(0.0)
        self.emit_edit("reset directions", directions=self.values())

    def set_capabilities(self, caps: Capabilities) -> None:
        self.scroll.clear()
        self.rows = []
        for i in range(caps.latent_directions):
            row = SliderRow(i, f"PC {i + 1}", *RANGE, default=0.0, step=0.05, tooltip=f"Principal direction {i + 1}")
            row.changed.connect(lambda _i, _v: self.emit_edit(f"direction{_i}", directions=self.values()))
            row.released.connect(self.committed.emit)
            self.scroll.column.addWidget(row)
            self.rows.append(row)
        self.scroll.column.addStretch(1)

    def set_params(self, params: Params) -> None:
        for row, v in zip(self.rows, params.directions):
            row.set_value(v)
