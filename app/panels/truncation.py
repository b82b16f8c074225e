"""The truncation panel (models with an average w): ψ and the layer cutoff."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QSpinBox, QWidget

from app.panels.base import ParamPanel
from app.params import Params
from app.widgets import FloatSlider, float_spin, no_drops, set_silently
from engine.families.base import Capabilities

PSI_RANGE = (-1.0, 2.0)


class TruncationPanel(ParamPanel):
    """ψ slider and spin box (-1..2, 1 = no truncation) and cutoff (0 = all style layers)."""

    title = "Truncation"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.psi_slider = FloatSlider(*PSI_RANGE, step=0.01, value=1.0)
        self.psi_slider.setToolTip("Truncation ψ: 1 = none, 0 = the average face, negative = the opposite")
        self.psi_spin = float_spin(*PSI_RANGE, step=0.05)
        self.psi_spin.setValue(1.0)
        row = QHBoxLayout()
        row.addWidget(self.psi_slider, 1)
        row.addWidget(self.psi_spin)
        form.addRow("ψ", row)

        self.cutoff = QSpinBox()
        self.cutoff.setRange(0, 0)
        self.cutoff.setSpecialValueText("all layers")
        self.cutoff.setToolTip("Truncate only the first N style layers (0 = all)")
        no_drops(self.cutoff)
        form.addRow("Cutoff", self.cutoff)

        self.psi_slider.floatValueChanged.connect(self._psi_from_slider)
        self.psi_slider.sliderReleased.connect(self.committed.emit)
        self.psi_spin.valueChanged.connect(self._psi_from_spin)
        self.cutoff.valueChanged.connect(lambda v: self.emit_edit("cutoff", truncation={"cutoff": int(v) or None}))

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.w_space is not None and caps.w_space.has_w_avg

    def _psi_from_slider(self, v: float) -> None:
        set_silently(self.psi_spin, "setValue", v)
        self.emit_edit("psi", truncation={"psi": v})

    def _psi_from_spin(self, v: float) -> None:
        self.psi_slider.set_float(v)
        self.emit_edit("psi", truncation={"psi": round(float(v), 6)})

    def set_capabilities(self, caps: Capabilities) -> None:
        n = caps.w_space.num_ws if caps.w_space else 0
        set_silently(self.cutoff, "setMaximum", n)

    def set_params(self, params: Params) -> None:
        psi, cutoff = params.truncation.psi, params.truncation.cutoff
        self.psi_slider.set_float(psi)
        set_silently(self.psi_spin, "setValue", psi)
        set_silently(self.cutoff, "setValue", cutoff or 0)  # the spin box shows "all layers" at 0
