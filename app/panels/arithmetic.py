"""The arithmetic panel (models with a latent): wA·A + wB·B + wC·C, with thumbnails of A, B and C."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.panels.base import ParamPanel
from app.params import ARITH_LABELS, DEFAULT_ARITH_WEIGHTS, Params, latent_spaces
from app.widgets import Thumbnail, float_spin, seed_spin, set_silently
from engine.api import RenderRequest, RenderResult
from engine.families.base import Capabilities

CHANNELS = tuple(f"arith-{n.lower()}" for n in ARITH_LABELS)
WEIGHT_RANGE = (-3.0, 3.0)


class ArithmeticPanel(ParamPanel):
    """Three terms: A is the current latent (its seed box is the main seed), B and C have seeds of
    their own; each has a weight (default +1, −1, +1) and a thumbnail rendered on its own channel."""

    title = "Arithmetic"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.enabled = QCheckBox("Show A − B + C")
        self.enabled.setToolTip("Replace the latent by the weighted sum of A, B and C")
        self.space = QComboBox()
        self.space.setToolTip("Add the z vectors, or the mapped w vectors (models with a W space)")
        top.addWidget(self.enabled, 1)
        top.addWidget(QLabel("in"))
        top.addWidget(self.space)
        outer.addLayout(top)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        self.seeds = []
        self.weights = []
        self.thumbs: list[Thumbnail] = []
        for col, name in enumerate(ARITH_LABELS):
            thumb = Thumbnail(72, name)
            thumb.setToolTip(f"{name}, rendered on its own")
            seed = seed_spin()
            seed.setMinimumWidth(90)
            weight = float_spin(*WEIGHT_RANGE, step=0.1)
            weight.setPrefix("× ")
            weight.setToolTip(f"Weight of {name}")
            grid.addWidget(QLabel(name), 0, col, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(thumb, 1, col, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(seed, 2, col)
            grid.addWidget(weight, 3, col)
            self.seeds.append(seed)
            self.weights.append(weight)
            self.thumbs.append(thumb)
        self.seeds[0].setToolTip("A is the current latent: this is the main seed")
        outer.addLayout(grid)
        outer.addStretch(1)

        self.enabled.toggled.connect(lambda on: self.emit_edit("arith_on", arith_on=bool(on)))
        self.space.currentTextChanged.connect(lambda s: s and self.emit_edit("arith_space", arith_space=s))
        self.seeds[0].valueChanged.connect(lambda v: self.emit_edit("seed", seed=int(v), z=None, ws=None))
        for i in (1, 2):
            self.seeds[i].valueChanged.connect(lambda _v: self.emit_edit("arith_seeds", arith_seeds=self._bc()))
        for i in range(3):
            self.weights[i].valueChanged.connect(
                lambda _v: self.emit_edit("arith_weights", arith_weights=self._weights())
            )

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.z_dim > 0

    def _bc(self) -> tuple[int, int]:
        return int(self.seeds[1].value()), int(self.seeds[2].value())

    def _weights(self) -> tuple[float, float, float]:
        a, b, c = (round(float(w.value()), 6) for w in self.weights)
        return a, b, c

    def set_capabilities(self, caps: Capabilities) -> None:
        blocked = self.space.blockSignals(True)
        self.space.clear()
        self.space.addItems(list(latent_spaces(caps)))
        self.space.blockSignals(blocked)
        self.space.setEnabled(self.space.count() > 1)
        for t in self.thumbs:
            t.set_frame(None)

    def set_params(self, params: Params) -> None:
        set_silently(self.enabled, "setChecked", params.arith_on)
        set_silently(self.space, "setCurrentText", params.arith_space)
        set_silently(self.seeds[0], "setValue", int(params.seed))
        self.seeds[0].setToolTip(
            "A is the encoded image (pick a seed to leave it)"
            if params.z is not None
            else "A is the current latent: this is the main seed"
        )
        for spin, s in zip(self.seeds[1:], params.arith_seeds):
            set_silently(spin, "setValue", int(s))
        weights = params.arith_weights if len(params.arith_weights) == 3 else DEFAULT_ARITH_WEIGHTS
        for spin, w in zip(self.weights, weights):
            set_silently(spin, "setValue", float(w))

    def side_requests(self, base: RenderRequest, params: Params) -> dict[str, RenderRequest]:
        """A (the current latent without arithmetic or interpolation), B and C alone."""
        a = dataclasses.replace(base, terms=(), terms_space="z", interpolation=None)
        out = {CHANNELS[0]: a}
        for ch, seed in zip(CHANNELS[1:], params.arith_seeds):
            out[ch] = dataclasses.replace(a, seed=int(seed), z=None, direction_offsets=())
        return out

    def show_side_frame(self, channel: str, result: RenderResult) -> None:
        if channel in CHANNELS and result.ok:
            self.thumbs[CHANNELS.index(channel)].set_frame(result.image)
