"""The Discover panel: find latent directions (SeFa, PCA of w) as an engine job, move along them
with one slider each (in standard deviations), optionally on a range of style layers; save/load .npz.

Each direction is named by what it changes (where it acts, how much: ``engine.direction_effects``,
measured on the current frame by a second job) and shows a strip of that frame moved from −2σ to +2σ.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledRangeSlider

from app.canvas import to_qimage
from app.panels.base import ParamPanel
from app.panels.rows import SliderRow
from app.params import DirectionEdit, Params
from app.widgets import ScrollColumn, compact_combo, section
from engine.api import JobHandle, JobResult
from engine.direction_effects import STRIP_SIGMAS, DirectionEffect, direction_effects
from engine.families.base import Capabilities
from engine.latent.directions import Directions, DirectionsError, compute

RANGE = (-5.0, 5.0)
NPZ_FILTER = "Directions (*.npz);;All files (*)"
METHOD_LABELS = {"sefa": "SeFa (weights)", "pca": "PCA of w (GANSpace)"}
STRIP_PX = 28


class DiscoverPanel(ParamPanel):
    """Compute (an engine job of its own) or load directions, then one slider per direction."""

    title = "Discover"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caps: Capabilities | None = None
        self.directions: Directions | None = None
        self.rows: list[SliderRow] = []
        self.captions: list[QLabel] = []
        self.strips: list[QLabel] = []
        self.effects: list[DirectionEffect] = []
        self._describing: JobHandle | None = None
        self.start_dir = str(Path.home())
        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.method = compact_combo()
        self.method.setToolTip("SeFa factorises the weights that read the latent; PCA samples w (models with W)")
        self.k = QSpinBox()
        self.k.setRange(1, 64)
        self.k.setValue(8)
        self.k.setToolTip("How many directions to find")
        self.layers_row = QLabeledRangeSlider(Qt.Orientation.Horizontal)
        self.layers_row.setEdgeLabelMode(QLabeledRangeSlider.EdgeLabelMode.NoLabel)
        self.layers_row.setToolTip("The style layers (first, last) the directions are computed for and applied to")
        form.addRow("Method", self.method)
        form.addRow("Directions", self.k)
        form.addRow("Layers", self.layers_row)
        self._layers_label = form.labelForField(self.layers_row)
        # The settings fold away once there are directions, so their sliders get the room.
        self.settings_section = section("Method, count and layers")
        holder = QWidget()
        holder.setLayout(form)
        form.setContentsMargins(0, 0, 0, 0)
        self.settings_section.addWidget(holder)
        self.settings_section.expand(animate=False)
        outer.addWidget(self.settings_section)
        buttons = QHBoxLayout()
        self.compute = QPushButton("Compute")
        self.load = QPushButton("Load…")
        self.save = QPushButton("Save…")
        self.reset_all = QPushButton("Reset")
        for b in (self.compute, self.load, self.save, self.reset_all):
            buttons.addWidget(b)
        outer.addLayout(buttons)
        self.status = QLabel("No directions yet: Compute or Load…")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.scroll = ScrollColumn()
        outer.addWidget(self.scroll, 1)
        self.compute.clicked.connect(self.request_compute)
        self.load.clicked.connect(self.load_dialog)
        self.save.clicked.connect(self.save_dialog)
        self.reset_all.clicked.connect(self._reset)
        self._sync_buttons()

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.z_dim > 0

    # --- capabilities and state ---------------------------------------------------------------------
    def set_capabilities(self, caps: Capabilities) -> None:
        self.caps = caps
        self.method.clear()
        for m in ("sefa", "pca") if caps.w_space is not None else ("sefa",):
            self.method.addItem(METHOD_LABELS[m], m)
        has_w = caps.w_space is not None
        self.layers_row.setVisible(has_w)
        if self._layers_label is not None:
            self._layers_label.setVisible(has_w)
        if has_w:
            n = caps.w_space.num_ws
            self.layers_row.setRange(0, n - 1)
            self.layers_row.setValue((0, n - 1))
        self._set_directions(None)
        self.settings_section.expand(animate=False)
        self.status.setText("No directions yet: Compute or Load…")

    def layer_range(self) -> tuple[int, int] | None:
        """(start, stop) of the chosen style layers; None when all (or the model has no W)."""
        if self.caps is None or self.caps.w_space is None:
            return None
        first, last = self.layers_row.value()
        a, b = int(first), int(last) + 1
        return None if (a, b) == (0, self.caps.w_space.num_ws) else (a, b)

    def request_compute(self) -> None:
        """Discover directions of the current model with the chosen method, count and layers (a job)."""
        method, k, layers = str(self.method.currentData()), int(self.k.value()), self.layer_range()
        self.status.setText("Computing…")
        self.compute.setEnabled(False)
        handle = self.session.model_job(
            f"{method} directions",
            lambda model: compute(model, method, k=k, layers=layers),
            on_done=self._computed,
            on_error=self._compute_failed,
        )
        if handle is None:
            self._compute_failed(JobResult(0, error="Open a model first."))
            return
        self.session.status(f"Computing {method.upper()} directions…", 0)

    def _computed(self, directions: Directions) -> None:
        self.set_directions(directions)
        self.session.seal_undo()
        self.session.status("Directions ready")

    def _compute_failed(self, result: JobResult) -> None:
        reason = result.error or "cancelled"
        self.compute.setEnabled(True)
        self.status.setText(f"Failed: {reason}")
        self.session.show_error("Cannot compute directions", reason)

    def set_directions(self, directions: Directions) -> None:
        """Show sliders for ``directions`` (all at 0) and reset the edit."""
        self._set_directions(directions)
        layers = (
            "all layers" if directions.layers is None else f"layers {directions.layers[0]}–{directions.layers[1] - 1}"
        )
        where = f"in {directions.space}" + (f", {layers}" if directions.space == "w" else "")
        self.status.setText(f"{len(directions)} {directions.method.upper()} directions {where}")
        self._emit("new directions")
        self.settings_section.collapse(animate=False)
        self.describe()

    def _set_directions(self, directions: Directions | None) -> None:
        if self._describing is not None:
            self._describing.cancel()
            self._describing = None
        self.directions = directions
        self.effects = []
        self.scroll.clear()
        self.rows, self.captions, self.strips = [], [], []
        tip = "The current frame moved along this direction: " + ", ".join(f"{s:+g}σ" for s in STRIP_SIGMAS)
        if directions is not None:
            for i in range(len(directions)):
                row = SliderRow(i, f"{i + 1}", *RANGE, default=0.0, step=0.05, tooltip=f"Direction {i + 1} (std)")
                row.changed.connect(lambda _i, _v: self._emit(f"found{_i}"))
                row.released.connect(self.committed.emit)
                caption = QLabel(f"{i + 1}")
                caption.setWordWrap(True)
                strip = QLabel()
                strip.setFixedHeight(STRIP_PX + 2)
                strip.setToolTip(tip)
                box = QWidget()
                grid = QGridLayout(box)
                grid.setContentsMargins(0, 4, 0, 0)
                grid.setVerticalSpacing(0)
                grid.addWidget(caption, 0, 0)
                grid.addWidget(strip, 0, 1)
                grid.addWidget(row, 1, 0, 1, 2)
                grid.setColumnStretch(0, 1)
                self.scroll.column.addWidget(box)
                self.rows.append(row)
                self.captions.append(caption)
                self.strips.append(strip)
        self.scroll.column.addStretch(1)
        self.compute.setEnabled(True)
        self._sync_buttons()

    # --- what each direction changes -------------------------------------------------------------------
    def describe(self) -> None:
        """Name and preview every direction on the current frame (an engine job of its own)."""
        d, session = self.directions, self.session
        base = session.request() if session is not None else None
        if d is None or base is None:
            return
        base = dataclasses.replace(base, edits=dataclasses.replace(base.edits, arithmetic=None, interpolation=None))
        self._describing = session.model_job(
            "preview directions",
            lambda model: direction_effects(model, d, base, STRIP_PX),
            on_done=lambda effects: self._described(d, effects),
            on_error=lambda result: self._describe_failed(d, result),
        )

    def _described(self, directions: Directions, effects: list[DirectionEffect]) -> None:
        if directions is not self.directions:
            return
        self._describing = None
        self.effects = list(effects)
        for effect, caption, strip in zip(effects, self.captions, self.strips):
            caption.setText(effect.label)
            caption.setToolTip(
                f"Changes the frame by {100 * effect.change:.1f}% of the pixel range from −2σ to +2σ"
                + "".join(f"; {g} layers alone: {100 * v:.1f}%" for g, v in effect.groups.items())
            )
            strip.setPixmap(QPixmap.fromImage(to_qimage(np.concatenate(list(effect.strip), axis=1))))

    def _describe_failed(self, directions: Directions, result: JobResult) -> None:
        if directions is self.directions:
            self._describing = None
            if not result.cancelled:
                self.status.setText(f"{self.status.text()} (previews failed: {result.error})")

    def _sync_buttons(self) -> None:
        has = self.directions is not None
        self.save.setEnabled(has)
        self.reset_all.setEnabled(has)

    def values(self) -> tuple[float, ...]:
        return tuple(r.value() for r in self.rows)

    def _emit(self, key: str) -> None:
        d = self.directions
        if d is None:
            self.emit_edit(key, found=DirectionEdit())
            return
        values = self.values()
        offset = d.offset(values) if any(values) else None
        self.emit_edit(key, found=DirectionEdit(offset, d.space, d.layers, sliders=values))

    def _reset(self) -> None:
        for row in self.rows:
            row.set_value(0.0)
        self._emit("reset found directions")

    def set_params(self, params: Params) -> None:
        for i, row in enumerate(self.rows):
            sliders = params.found.sliders
            row.set_value(sliders[i] if i < len(sliders) else 0.0)

    # --- files --------------------------------------------------------------------------------------
    def load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load directions", self.start_dir, NPZ_FILTER)
        if path:
            self.load_file(path)

    def load_file(self, path: str) -> bool:
        """Load an .npz of directions; a file that does not fit the model gets a dialog."""
        try:
            d = Directions.load(path)
            if self.caps is not None:
                d.check(self.caps)
        except DirectionsError as e:
            QMessageBox.warning(self, "Cannot load directions", f"Could not load “{path}”.\n\n{e}")
            return False
        self.start_dir = str(Path(path).parent)
        self.set_directions(d)
        return True

    def save_dialog(self) -> None:
        if self.directions is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save directions", self.start_dir, NPZ_FILTER)
        if path:
            self.save_file(path)

    def save_file(self, path: str) -> Path | None:
        if self.directions is None:
            return None
        try:
            out = self.directions.save(path)
        except OSError as e:
            QMessageBox.warning(self, "Cannot save directions", f"Could not write “{path}”.\n\n{e}")
            return None
        self.status.setText(f"Saved {Path(out).name}")
        return out
