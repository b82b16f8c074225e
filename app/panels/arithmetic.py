"""The arithmetic panel (models with a latent): wA·A + wB·B + wC·C, with thumbnails of A, B and C."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.panels.base import ParamPanel
from app.params import ARITH_LABELS, DEFAULT_ARITHMETIC, Params
from app.widgets import Thumbnail, float_spin, seed_spin, set_silently
from engine.api import LatentTerm, RenderRequest, RenderResult, allowed_spaces
from engine.families.base import Capabilities

CHANNELS = tuple(f"arith-{n.lower()}" for n in ARITH_LABELS)
WEIGHT_RANGE = (-3.0, 3.0)


class ArithmeticPanel(ParamPanel):
    """Three terms: A is the current latent (its seed box is the main seed), B and C have seeds of
    their own; each has a weight (default +1, −1, +1) and a thumbnail rendered on its own channel."""

    title = "Arithmetic"
    thumbnail_size = 72

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
            thumb = Thumbnail(self.thumbnail_size, name)
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

        self.enabled.toggled.connect(lambda on: self.emit_edit("arith_on", arithmetic_on=bool(on)))
        self.space.currentTextChanged.connect(lambda s: s and self.emit_edit("arith_space", arithmetic={"space": s}))
        self.seeds[0].valueChanged.connect(
            lambda v: self.emit_edit("seed", latent={"seed": int(v), "z": None, "ws": None})
        )
        for i in (1, 2):
            self.seeds[i].valueChanged.connect(
                lambda _v: self.emit_edit("arith_seeds", arithmetic={"terms": self._terms()})
            )
        for i in range(3):
            self.weights[i].valueChanged.connect(
                lambda _v: self.emit_edit("arith_weights", arithmetic={"terms": self._terms()})
            )

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.z_dim > 0

    def _terms(self) -> tuple[LatentTerm, ...]:
        """A (the current latent), B and C (their seeds) with their weights."""
        wa, wb, wc = (round(float(w.value()), 6) for w in self.weights)
        b, c = int(self.seeds[1].value()), int(self.seeds[2].value())
        return LatentTerm(None, wa), LatentTerm(b, wb), LatentTerm(c, wc)

    def set_capabilities(self, caps: Capabilities) -> None:
        blocked = self.space.blockSignals(True)
        self.space.clear()
        self.space.addItems(list(allowed_spaces(caps, "arithmetic")))
        self.space.blockSignals(blocked)
        self.space.setEnabled(self.space.count() > 1)
        for t in self.thumbs:
            t.set_frame(None)

    def set_params(self, params: Params) -> None:
        set_silently(self.enabled, "setChecked", params.arithmetic_on)
        set_silently(self.space, "setCurrentText", params.arithmetic.space)
        set_silently(self.seeds[0], "setValue", int(params.latent.seed))
        self.seeds[0].setToolTip(
            "A is the encoded image (pick a seed to leave it)"
            if params.latent.z is not None
            else "A is the current latent: this is the main seed"
        )
        terms = params.arithmetic.terms if len(params.arithmetic.terms) == 3 else DEFAULT_ARITHMETIC.terms
        for spin, term in zip(self.seeds[1:], terms[1:]):
            set_silently(spin, "setValue", int(term.seed or 0))
        for spin, term in zip(self.weights, terms):
            set_silently(spin, "setValue", float(term.weight))

    def side_requests(self, base: RenderRequest, params: Params) -> dict[str, RenderRequest]:
        """A (the current latent without arithmetic or interpolation), B and C alone."""
        a = dataclasses.replace(base, edits=dataclasses.replace(base.edits, arithmetic=None, interpolation=None))
        out = {CHANNELS[0]: a}
        plain = dataclasses.replace(a.edits, directions=())
        for ch, term in zip(CHANNELS[1:], params.arithmetic.terms[1:]):
            latent = dataclasses.replace(a.latent, seed=int(term.seed or 0), z=None, ws=None)
            out[ch] = dataclasses.replace(a, latent=latent, edits=plain)
        return out

    def show_side_frame(self, channel: str, result: RenderResult) -> None:
        if channel in CHANNELS and result.ok:
            self.thumbs[CHANNELS.index(channel)].set_frame(result.image)
