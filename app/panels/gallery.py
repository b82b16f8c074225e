"""The Gallery panel: bookmark latents (with thumbnails) into a project file, jump back to them, add
them to the walk, and build an attribute vector from samples you pick (mean of picked − mean of the
rest) with a strength."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import ParamPanel
from app.params import DirectionEdit, Params
from app.widgets import FloatSlider, Tile
from engine.api import JobResult
from engine.families.base import Capabilities
from engine.latent.gallery import (
    Bookmark,
    GalleryError,
    attribute_vector,
    load_project,
    png_bytes,
    sample_frames,
    save_project,
)
from engine.latent.keyframes import Keyframe

PROJECT_FILTER = "LatentLab project (*.latentlab.json *.json);;All files (*)"
COLUMNS = 4
SAMPLES = 12
TILE = 64
STRENGTH = (-3.0, 3.0)


class GalleryPanel(ParamPanel):
    """Bookmarks (click one to make it current) and a pick-and-compute attribute vector; samples
    and the attribute vector are engine jobs of the panel's own.

    ``walk_requested(keyframe)``: a bookmark's "Add to walk" (the window appends it to the
    Interpolate panel's walk). ``project_changed()``: a project file was opened or saved
    (:attr:`project_path`), so the explorer can reopen it next time.
    """

    title = "Gallery"
    walk_requested = Signal(object)
    project_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caps: Capabilities | None = None
        self.model_name = ""
        self.bookmarks: list[Bookmark] = []
        self.sample_seeds: list[int] = []
        self.sample_tiles: list[Tile] = []
        self.start_dir = str(Path.home())
        self.project_path: str | None = None
        outer = QVBoxLayout(self)
        row = QHBoxLayout()
        self.add = QPushButton("Bookmark")
        self.add.setToolTip("Save the current latent (with a thumbnail) in the gallery")
        self.open = QPushButton("Open…")
        self.save = QPushButton("Save…")
        for b in (self.add, self.open, self.save):
            row.addWidget(b)
        outer.addLayout(row)
        self.marks = QGridLayout()
        outer.addLayout(self.marks)
        self.marks_hint = QLabel("No bookmarks yet")
        outer.addWidget(self.marks_hint)

        outer.addWidget(QLabel("Attribute from picked samples (click to pick):"))
        self.samples = QGridLayout()
        outer.addLayout(self.samples)
        row2 = QHBoxLayout()
        self.new_samples = QPushButton("New samples")
        self.new_samples.setToolTip("Show new random samples to pick from")
        self.compute = QPushButton("Attribute from picked")
        self.compute.setToolTip("Attribute vector = mean latent of the picked samples − mean of the others")
        row2.addWidget(self.new_samples)
        row2.addWidget(self.compute)
        outer.addLayout(row2)
        srow = QHBoxLayout()
        srow.addWidget(QLabel("Strength"))
        self.strength = FloatSlider(*STRENGTH, step=0.05, value=0.0)
        self.strength_label = QLabel("0.00")
        srow.addWidget(self.strength, 1)
        srow.addWidget(self.strength_label)
        outer.addLayout(srow)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        outer.addStretch(1)

        self.add.clicked.connect(self.bookmark_current)
        self.open.clicked.connect(self.open_dialog)
        self.save.clicked.connect(self.save_dialog)
        self.new_samples.clicked.connect(self.request_samples)
        self.compute.clicked.connect(self.request_attribute)
        self.strength.floatValueChanged.connect(self._strength_changed)
        self.strength.sliderReleased.connect(self.committed.emit)
        self._sync()

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.z_dim > 0

    # --- state ---------------------------------------------------------------------------------------
    def set_capabilities(self, caps: Capabilities) -> None:
        self.caps = caps
        self.bookmarks = []
        self.project_path = None
        self._show_bookmarks()
        self._clear_samples()
        self.status.setText("")
        self._sync()

    def set_params(self, params: Params) -> None:
        attribute = params.attribute
        self.strength.set_float(attribute.strength)
        self.strength_label.setText(f"{attribute.strength:.2f}")
        self.strength.setEnabled(attribute.vector is not None)

    def _sync(self) -> None:
        self.save.setEnabled(bool(self.bookmarks))
        picked = sum(t.checked for t in self.sample_tiles)
        self.compute.setEnabled(0 < picked < len(self.sample_tiles))

    # --- bookmarks -----------------------------------------------------------------------------------
    def bookmark_current(self) -> None:
        """Bookmark the current latent with the frame on the canvas as its thumbnail."""
        session = self.session
        frame, caps = session.last_frame, session.caps
        if caps is None or frame is None or frame.image is None:
            session.show_error("Cannot bookmark", "Open a model and wait for its first frame.")
            return
        if session.walk_frame_shown:
            session.show_error("Cannot bookmark", "The canvas shows a frame of the walk: turn off Preview walk first.")
            return
        p = session.params
        lat = p.latent
        z = tuple(lat.z.tolist()) if lat.z is not None else None
        name = f"#{len(self.bookmarks) + 1} seed {lat.seed}" + (" (encoded)" if z is not None else "")
        cls = int(lat.class_index or 0) if caps.classes else None
        self.model_name = session.model.name if session.model is not None else ""
        self.add_bookmark(Bookmark(name, int(lat.seed), z, cls, png_bytes(frame.image)))

    def add_bookmark(self, mark: Bookmark) -> None:
        self.bookmarks.append(mark)
        self._show_bookmarks()

    def _show_bookmarks(self) -> None:
        while self.marks.count():
            w = self.marks.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for i, mark in enumerate(self.bookmarks):
            tile = Tile(TILE)
            tile.set_frame(mark.thumbnail_array())
            tile.setToolTip(f"{mark.name} — click to make it current; right-click to add it to the walk")
            tile.clicked.connect(lambda m=mark: self.apply_bookmark(m))
            tile.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            current = QAction("Make current", tile)
            current.triggered.connect(lambda _=False, m=mark: self.apply_bookmark(m))
            to_walk = QAction("Add to walk", tile)
            to_walk.triggered.connect(lambda _=False, m=mark: self.add_to_walk(m))
            tile.addActions([current, to_walk])
            self.marks.addWidget(tile, i // COLUMNS, i % COLUMNS)
        self.marks_hint.setVisible(not self.bookmarks)
        self._sync()

    def apply_bookmark(self, mark: Bookmark) -> None:
        latent: dict[str, object] = {"seed": int(mark.seed), "z": mark.z, "ws": None}
        if mark.class_index is not None and self.caps is not None and self.caps.classes:
            latent["class_index"] = int(mark.class_index)
        self.emit_edit(f"bookmark {mark.name}", latent=latent)
        self.committed.emit()

    def add_to_walk(self, mark: Bookmark) -> None:
        """Ask for ``mark`` as the walk's next keyframe (its seed, or the encoded z it holds)."""
        self.walk_requested.emit(Keyframe(seed=int(mark.seed), z=mark.z, label=mark.name))

    def _folder(self) -> str:
        """Where the project dialogs open: the folder projects were last opened from or saved to."""
        settings = self.session.settings if self.session is not None else None
        return settings.folder("project") if settings is not None else self.start_dir

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self._folder(), PROJECT_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str, quiet: bool = False) -> bool:
        """Show the bookmarks of project ``path``; a project that cannot be used gets a dialog (with
        ``quiet``, a line in the panel instead: a project reopened at launch)."""

        def refuse(text: str) -> bool:
            if quiet:
                self.status.setText(text)
            else:
                QMessageBox.warning(self, "Cannot open project", text)
            return False

        try:
            model, marks = load_project(path)
        except GalleryError as e:
            return refuse(str(e))
        if self.caps is not None:
            bad = [m.name for m in marks if m.z is not None and len(m.z) != self.caps.z_dim]
            if bad:
                return refuse(f"{Path(path).name} was made for '{model}': its latents do not fit")
        self.start_dir = str(Path(path).parent)
        self.bookmarks = marks
        self._show_bookmarks()
        self.status.setText(f"Opened {len(marks)} bookmark(s) of '{model}'")
        self.project_path = str(Path(path).resolve())
        self._remember_folder(path)
        self.project_changed.emit()
        return True

    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save project", self._folder(), PROJECT_FILTER)
        if path:
            self.save_file(path if path.endswith(".json") else path + ".latentlab.json")

    def save_file(self, path: str) -> Path | None:
        try:
            out = save_project(path, self.model_name, self.bookmarks)
        except OSError as e:
            QMessageBox.warning(self, "Cannot save project", f"Could not write “{path}”.\n\n{e}")
            return None
        self.status.setText(f"Saved {Path(out).name}")
        self.project_path = str(Path(out).resolve())
        self._remember_folder(out)
        self.project_changed.emit()
        return out

    def _remember_folder(self, path: str | Path) -> None:
        self.start_dir = str(Path(path).parent)
        if self.session is not None and self.session.settings is not None:
            self.session.settings.set_folder("project", path)

    # --- attribute vector ----------------------------------------------------------------------------
    def request_samples(self) -> None:
        """Render new random samples to pick from (a job)."""
        base = random.randrange(0, 2**31 - SAMPLES)
        self.render_samples(list(range(base, base + SAMPLES)))

    def render_samples(self, seeds: list[int]) -> None:
        caps = self.session.caps
        cls = self.session.params.latent.class_index if caps is not None and caps.classes else None
        self.session.model_job(
            "gallery samples",
            lambda model: sample_frames(model, seeds, cls, size=TILE),
            on_done=lambda frames: self.show_samples(seeds, frames),
            on_error=self._failed,
        )

    def _failed(self, result: JobResult) -> None:
        self.session.show_error("Gallery", result.error or "cancelled")

    def _clear_samples(self) -> None:
        while self.samples.count():
            w = self.samples.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.sample_tiles = []
        self.sample_seeds = []

    def show_samples(self, seeds: list[int], frames: np.ndarray) -> None:
        """Show ``frames`` (uint8 NHWC) of ``seeds`` as pickable tiles."""
        self._clear_samples()
        self.sample_seeds = list(seeds)
        for i, frame in enumerate(frames):
            tile = Tile(TILE, checkable=True)
            tile.set_checked(False)
            tile.set_frame(frame)
            tile.setToolTip(f"seed {seeds[i]} — click to pick or unpick")
            tile.clicked.connect(self._sync)
            self.samples.addWidget(tile, i // COLUMNS, i % COLUMNS)
            self.sample_tiles.append(tile)
        self._sync()

    def picked(self) -> tuple[list[int], list[int]]:
        on = [s for s, t in zip(self.sample_seeds, self.sample_tiles) if t.checked]
        off = [s for s, t in zip(self.sample_seeds, self.sample_tiles) if not t.checked]
        return on, off

    def request_attribute(self) -> None:
        """Compute the attribute vector of the picked samples (a job), in w when the model has W."""
        caps = self.session.caps
        if caps is None:
            return
        on, off = self.picked()
        space = "w" if caps.w_space is not None else "z"
        cls = self.session.params.latent.class_index if caps.classes else None
        self.status.setText("Computing the attribute vector…")
        self.session.model_job(
            "attribute vector",
            lambda model: attribute_vector(model, on, off, space, cls),
            on_done=lambda vector: self.set_attribute(vector, space),
            on_error=self._failed,
        )

    def set_attribute(self, vector: np.ndarray, space: str) -> None:
        """Make ``vector`` (in ``space``) the attribute, at strength 1."""
        self.status.setText(f"Attribute vector in {space} from {self.picked()[0].__len__()} picked sample(s)")
        self.emit_edit("attribute", attribute=DirectionEdit(vector, space, strength=1.0))
        self.committed.emit()

    def _strength_changed(self, v: float) -> None:
        self.strength_label.setText(f"{v:.2f}")
        self.emit_edit("attr_strength", attribute={"strength": float(v)})
