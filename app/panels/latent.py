"""The latent panel: seed, randomise, class (conditional models), style-mixing space."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QPushButton, QWidget

from app.panels.base import ParamPanel
from app.params import Params
from app.widgets import compact_combo, random_seed, seed_spin, set_silently
from engine.api import MIX_SPACES
from engine.families.base import Capabilities


class LatentPanel(ParamPanel):
    """Seed spin box with a Randomise button; class combo when the model has classes; z|w mixing."""

    title = "Latent"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.seed = seed_spin()
        self.seed.setToolTip("Seed of the latent z (PgUp/PgDn or the arrows step through seeds)")
        self.randomise = QPushButton("Randomise")
        self.randomise.setToolTip("Pick a random seed")
        row = QHBoxLayout()
        row.addWidget(self.seed, 1)
        row.addWidget(self.randomise)
        form.addRow("Seed", row)

        self.class_combo = compact_combo()
        self.class_combo.setToolTip("Class of a conditional model")
        form.addRow("Class", self.class_combo)
        self._class_label = form.labelForField(self.class_combo)

        self.mix_space = QComboBox()
        self.mix_space.addItems(list(MIX_SPACES))
        self.mix_space.setToolTip("Where style mixing blends the two latents: w (lerp) or z (slerp, then map)")
        form.addRow("Mix space", self.mix_space)
        self._mix_label = form.labelForField(self.mix_space)

        self.seed.valueChanged.connect(lambda v: self.emit_edit("seed", latent={"seed": int(v), "z": None, "ws": None}))
        self.randomise.clicked.connect(lambda: self.seed.setValue(random_seed()))
        self.class_combo.currentIndexChanged.connect(
            lambda i: self.emit_edit("class", latent={"class_index": max(0, int(i))})
        )
        self.mix_space.currentTextChanged.connect(lambda t: self.emit_edit("mix_space", mix={"space": t}))
        self._show_classes(False)

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        """Only models that generate from a latent have a seed to pick."""
        return caps.z_dim > 0

    def _show_classes(self, show: bool) -> None:
        self.class_combo.setVisible(show)
        if self._class_label is not None:
            self._class_label.setVisible(show)

    def set_capabilities(self, caps: Capabilities) -> None:
        blocked = self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItems(list(caps.classes))
        self.class_combo.blockSignals(blocked)
        self._show_classes(bool(caps.classes))
        has_w = caps.w_space is not None
        self.mix_space.setVisible(has_w)
        if self._mix_label is not None:
            self._mix_label.setVisible(has_w)

    def set_params(self, params: Params) -> None:
        set_silently(self.seed, "setValue", int(params.latent.seed))
        if self.class_combo.count():
            set_silently(self.class_combo, "setCurrentIndex", int(params.latent.class_index or 0))
        set_silently(self.mix_space, "setCurrentText", params.mix.space)
