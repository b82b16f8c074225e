"""The noise panel (models with per-layer noise inputs): mode, global and per-layer strength, reseed."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.panels.base import ParamPanel
from app.panels.rows import SliderRow
from app.params import Params
from app.widgets import FloatSlider, ScrollColumn, float_spin, random_seed, set_silently
from engine.api import NOISE_MODES
from engine.families.base import Capabilities

STRENGTH_RANGE = (0.0, 2.0)


class NoisePanel(ParamPanel):
    """Noise mode (const | random | none), global strength, one strength slider per noise layer."""

    title = "Noise"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[SliderRow] = []
        outer = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.mode = QComboBox()
        self.mode.addItems(list(NOISE_MODES))
        self.mode.setToolTip("const: the model's fixed noise; random: fresh noise from the noise seed; none")
        self.reseed = QPushButton("Reseed")
        self.reseed.setToolTip("New random noise (switches to random mode)")
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode, 1)
        mode_row.addWidget(self.reseed)
        form.addRow("Mode", mode_row)

        self.strength_slider = FloatSlider(*STRENGTH_RANGE, step=0.01, value=1.0)
        self.strength_spin = float_spin(*STRENGTH_RANGE, step=0.05)
        self.strength_spin.setValue(1.0)
        strength_row = QHBoxLayout()
        strength_row.addWidget(self.strength_slider, 1)
        strength_row.addWidget(self.strength_spin)
        form.addRow("Strength", strength_row)
        outer.addLayout(form)

        self.reset_all = QPushButton("Reset layers")
        self.reset_all.setToolTip("Every layer's strength back to 1")
        outer.addWidget(self.reset_all)
        self.scroll = ScrollColumn()
        outer.addWidget(self.scroll, 1)

        self.mode.currentTextChanged.connect(lambda t: self.emit_edit("noise_mode", noise={"mode": t}))
        self.reseed.clicked.connect(self._reseed)
        self.strength_slider.floatValueChanged.connect(self._strength_from_slider)
        self.strength_slider.sliderReleased.connect(self.committed.emit)
        self.strength_spin.valueChanged.connect(self._strength_from_spin)
        self.reset_all.clicked.connect(self._reset_layers)

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return bool(caps.noise_layers)

    @property
    def sliders(self) -> list[FloatSlider]:
        """One strength slider per noise layer."""
        return [r.slider for r in self.rows]

    def values(self) -> tuple[float, ...]:
        return tuple(r.value() for r in self.rows)

    def _reseed(self) -> None:
        set_silently(self.mode, "setCurrentText", "random")
        self.emit_edit("noise_seed", noise={"seed": random_seed(), "mode": "random"})

    def _strength_from_slider(self, v: float) -> None:
        set_silently(self.strength_spin, "setValue", v)
        self.emit_edit("noise_strength", noise={"strength": v})

    def _strength_from_spin(self, v: float) -> None:
        self.strength_slider.set_float(v)
        self.emit_edit("noise_strength", noise={"strength": round(float(v), 6)})

    def _reset_layers(self) -> None:
        for row in self.rows:
            row.set_value(row.default)
        self.emit_edit("reset noise", noise={"layer_strengths": self.values()})

    def set_capabilities(self, caps: Capabilities) -> None:
        self.scroll.clear()
        self.rows = []
        for i in range(caps.noise_layers or 0):
            res = caps.layer_resolution(i, "noise")
            label = f"{i}  ·  {res}px" if res else f"layer {i}"
            row = SliderRow(i, label, *STRENGTH_RANGE, default=1.0, tooltip=f"Noise layer {i}: strength")
            row.changed.connect(lambda _i, _v: self.emit_edit(f"noise{_i}", noise={"layer_strengths": self.values()}))
            row.released.connect(self.committed.emit)
            self.scroll.column.addWidget(row)
            self.rows.append(row)
        self.scroll.column.addStretch(1)

    def set_params(self, params: Params) -> None:
        noise = params.noise
        set_silently(self.mode, "setCurrentText", noise.mode)
        self.strength_slider.set_float(noise.strength)
        set_silently(self.strength_spin, "setValue", noise.strength)
        for row, v in zip(self.rows, noise.layer_strengths):
            row.set_value(v)
