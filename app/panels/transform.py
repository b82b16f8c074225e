"""The transform panel (models with an input transform, e.g. StyleGAN3): translate and rotate the image
live, as the equivariance widget of NVlabs' visualizer; Reset returns to the identity.

The values travel in the render request's :class:`~engine.api.Transform` part (``Params.transform``);
translations are in image widths, rotation in degrees, with NVlabs' sign conventions, so the same
numbers give the same image as ``latentlab generate --translate X,Y --rotate DEG``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QPushButton, QWidget

from app.panels.base import ParamPanel
from app.params import Params
from app.widgets import FloatSlider, float_spin, set_silently
from engine.api import Transform
from engine.families.base import Capabilities

TRANSLATE_RANGE = (-1.0, 1.0)
"""Translation in image widths (±1: the content moves a whole image width)."""
ROTATE_RANGE = (-180.0, 180.0)
"""Rotation in degrees."""
FIELDS = ("translate_x", "translate_y", "rotate")


class TransformPanel(ParamPanel):
    """Translate x, translate y (image widths) and rotate (degrees): a slider and a spin box each, and
    Reset. A slider drag is one undo step; the frame follows while it moves."""

    title = "Transform"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.sliders: dict[str, FloatSlider] = {}
        self.spins: dict[str, QDoubleSpinBox] = {}
        specs = {
            "translate_x": ("Translate x", TRANSLATE_RANGE, 0.005, 0.01, 3, "Move the image right (+) or left (−)"),
            "translate_y": ("Translate y", TRANSLATE_RANGE, 0.005, 0.01, 3, "Move the image down (+) or up (−)"),
            "rotate": ("Rotate", ROTATE_RANGE, 0.5, 1.0, 1, "Rotate the image counter-clockwise (+) or clockwise (−)"),
        }
        for name, (label, (lo, hi), step, spin_step, decimals, tip) in specs.items():
            if name != "rotate":
                tip += ", in image widths"
            slider = FloatSlider(lo, hi, step=step, value=0.0)
            slider.setToolTip(tip)
            spin = float_spin(lo, hi, step=spin_step, decimals=decimals)
            spin.setToolTip(tip)
            if name == "rotate":
                spin.setSuffix("°")
            row = QHBoxLayout()
            row.addWidget(slider, 1)
            row.addWidget(spin)
            form.addRow(label, row)
            slider.floatValueChanged.connect(lambda v, n=name: self._from_slider(n, v))
            slider.sliderReleased.connect(self.committed.emit)
            spin.valueChanged.connect(lambda v, n=name: self._from_spin(n, v))
            self.sliders[name], self.spins[name] = slider, spin
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("No translation, no rotation")
        self.reset.clicked.connect(self._reset)
        row = QHBoxLayout()
        row.addWidget(self.reset)
        row.addStretch(1)
        form.addRow(row)
        self.setToolTip("Move and turn the image; an alias-free model keeps its details attached to the content")

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.input_transform

    @property
    def translate_x(self) -> FloatSlider:
        return self.sliders["translate_x"]

    @property
    def translate_y(self) -> FloatSlider:
        return self.sliders["translate_y"]

    @property
    def rotate(self) -> FloatSlider:
        return self.sliders["rotate"]

    def _from_slider(self, name: str, value: float) -> None:
        set_silently(self.spins[name], "setValue", value)
        self.emit_edit(name, transform={name: value})

    def _from_spin(self, name: str, value: float) -> None:
        self.sliders[name].set_float(value)
        self.emit_edit(name, transform={name: round(float(value), 6)})

    def _reset(self) -> None:
        self.emit_edit("transform-reset", transform=Transform())
        self.committed.emit()

    def set_params(self, params: Params) -> None:
        for name in FIELDS:
            value = float(getattr(params.transform, name))
            self.sliders[name].set_float(value)
            set_silently(self.spins[name], "setValue", value)
        self.reset.setEnabled(not params.transform.is_identity)
