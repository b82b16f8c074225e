"""The progressive panel (PGGAN-like models): which trained resolution level to view, and its fade-in α."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QWidget

from app.panels.base import ParamPanel
from app.params import Params
from app.widgets import FloatSlider, set_silently
from engine.families.base import Capabilities


class ProgressivePanel(ParamPanel):
    """A level combo (4×4, 8×8, … up to the trained level) and an α slider that fades the chosen
    level in from the one below (0 = the level below, up-sampled; 1 = the chosen level alone)."""

    title = "Progressive"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._caps: Capabilities | None = None
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.level = QComboBox()
        self.level.setToolTip("Show the output of this resolution level (up-sampled to the display size)")
        form.addRow("Level", self.level)
        self.alpha = FloatSlider(0.0, 1.0, step=0.01, value=1.0)
        self.alpha.setToolTip("Fade-in of the chosen level: 0 = the level below (up-sampled), 1 = this level alone")
        self.alpha_label = QLabel("1.00")
        self.alpha_label.setMinimumWidth(32)
        row = QHBoxLayout()
        row.addWidget(self.alpha, 1)
        row.addWidget(self.alpha_label)
        form.addRow("α", row)
        self.trained = QLabel("")
        self.trained.setStyleSheet("color: gray;")
        self.trained.setWordWrap(True)  # "Trained up to 64×64, fading in at α = 0.50" in a narrow column
        form.addRow(self.trained)

        self.level.currentIndexChanged.connect(self._level_chosen)
        self.alpha.floatValueChanged.connect(self._alpha_moved)
        self.alpha.sliderReleased.connect(self.committed.emit)

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.progressive is not None and len(caps.progressive.levels) > 0

    def set_capabilities(self, caps: Capabilities) -> None:
        self._caps = caps
        prog = caps.progressive
        levels = prog.levels if prog is not None else ()
        blocked = self.level.blockSignals(True)
        self.level.clear()
        self.level.addItems([f"{r}×{r}" for r in levels])
        self.level.blockSignals(blocked)
        if prog is not None and levels:
            top = levels[-1]
            fading = f", fading in at α = {prog.alpha:.2f}" if prog.alpha < 1 else ""
            self.trained.setText(f"Trained up to {top}×{top}{fading}")

    def set_params(self, params: Params) -> None:
        prog = self._caps.progressive if self._caps is not None else None
        if prog is None or not prog.levels:
            return
        level, alpha = prog.viewed(dict(params.view.options))
        set_silently(self.level, "setCurrentIndex", level)
        self.alpha.set_float(alpha)
        self.alpha.setEnabled(level > 0)
        self.alpha_label.setText(f"{alpha:.2f}")

    def _level_chosen(self, index: int) -> None:
        if index < 0 or self._caps is None or self._caps.progressive is None:
            return
        prog = self._caps.progressive
        alpha = float(prog.alpha) if index == len(prog.levels) - 1 else 1.0
        self.emit_edit("level", view={"options": (("level", int(index)), ("alpha", 1.0 if index == 0 else alpha))})

    def _alpha_moved(self, value: float) -> None:
        self.alpha_label.setText(f"{value:.2f}")
        index = self.level.currentIndex()
        if index > 0:
            self.emit_edit("alpha", view={"options": (("level", int(index)), ("alpha", float(value)))})
