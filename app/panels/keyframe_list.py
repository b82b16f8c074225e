"""The walk's keyframe list (after A and B): seeds, the current latent, gallery bookmarks and latent files,
with remove and reorder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QWidget,
)

from engine.api import allowed_spaces
from engine.families.base import Capabilities
from engine.latent.keyframe_files import load_keyframes
from engine.latent.keyframes import Keyframe, check_keyframes

KEYFRAME_FILTER = (
    "Latents and projects (*.npz *.json);;Latent files (*.npz);;LatentLab projects (*.json);;All files (*)"
)
KIND_TEXT = {"seed": "seed", "z": "z latent", "ws": "W+ latent"}


def parse_seeds(text: str) -> list[int]:
    """Comma-separated seeds (ValueError naming a bad entry)."""
    out = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"'{part}' is not a seed (keyframes are comma-separated non-negative integers)")
        out.append(int(part))
    return out


def describe(key: Keyframe) -> str:
    """A list entry: the keyframe's name and what it is."""
    if key.kind == "seed" and not key.label:
        return key.name
    kind = KIND_TEXT[key.kind] + (" (per-layer)" if key.per_layer else "")
    return f"{key.name} — {kind}"


class KeyframeList(QWidget):
    """Keyframes walked after A → B. ``changed()`` after every edit; ``current_requested()`` asks the
    owner to add the current latent (:meth:`add`); ``error_raised(title, text)`` for bad input."""

    changed = Signal()
    current_requested = Signal()
    error_raised = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys: list[Keyframe] = []
        self.caps: Capabilities | None = None
        self.start_dir = str(Path.home())
        outer = QGridLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setVerticalSpacing(2)
        self.list = QListWidget()
        self.list.setToolTip("Keyframes the walk visits after B, in order")
        self.list.setMinimumHeight(64)
        self.up = QPushButton("Up")
        self.down = QPushButton("Down")
        self.remove = QPushButton("Remove")
        self.clear = QPushButton("Clear")
        # The list with its reorder buttons beside it, then the row that adds keyframes.
        outer.addWidget(self.list, 0, 0, 4, 1)
        for i, w in enumerate((self.up, self.down, self.remove, self.clear)):
            outer.addWidget(w, i, 1)
        row = QHBoxLayout()
        self.seeds = QLineEdit()
        self.seeds.setPlaceholderText("seeds, e.g. 9, 14")
        self.add_seeds = QPushButton("Add seeds")
        self.add_current = QPushButton("Add current")
        self.add_current.setToolTip("Add the current latent (a seed, an encoded z or an inverted W+ latent)")
        self.add_file = QPushButton("Add file…")
        self.add_file.setToolTip("Add the latents of a file from 'latentlab invert' (.npz) or a gallery project")
        for w in (self.seeds, self.add_seeds, self.add_current, self.add_file):
            row.addWidget(w, 1 if w is self.seeds else 0)
        outer.addLayout(row, 4, 0, 1, 2)
        outer.setColumnStretch(0, 1)

        self.seeds.returnPressed.connect(self.add_typed_seeds)
        self.add_seeds.clicked.connect(self.add_typed_seeds)
        self.add_current.clicked.connect(self.current_requested.emit)
        self.add_file.clicked.connect(self.add_file_dialog)
        self.up.clicked.connect(lambda: self.move(-1))
        self.down.clicked.connect(lambda: self.move(1))
        self.remove.clicked.connect(self.remove_selected)
        self.clear.clicked.connect(lambda: self.set_keys([]))
        self.list.currentRowChanged.connect(lambda _: self._sync())
        self._sync()

    def set_capabilities(self, caps: Capabilities) -> None:
        """A new model: the keyframes that fit it stay (seeds always; explicit latents of its shape, e.g.
        when a retrained model is opened), the others are dropped."""
        self.caps = caps
        space = allowed_spaces(caps, "interpolation")[-1]
        kept = []
        for key in self.keys:
            try:
                check_keyframes([key], space, caps)
            except ValueError:
                continue
            kept.append(key)
        self.set_keys(kept)

    def set_keys(self, keys: list[Keyframe], select: int | None = None) -> None:
        self.keys = list(keys)
        self.list.clear()
        self.list.addItems([describe(k) for k in self.keys])
        if select is not None and 0 <= select < len(self.keys):
            self.list.setCurrentRow(select)
        self._sync()
        self.changed.emit()

    def add(self, keys: list[Keyframe]) -> bool:
        """Append ``keys`` when they fit the model (else an error, and nothing is added)."""
        if self.caps is not None and keys:
            space = allowed_spaces(self.caps, "interpolation")[-1]  # the widest: w+ takes every keyframe
            try:
                check_keyframes(keys, space, self.caps)
            except ValueError as e:
                self.error_raised.emit("Cannot add keyframe", str(e))
                return False
        self.set_keys(self.keys + list(keys), len(self.keys) + len(keys) - 1)
        return True

    def add_typed_seeds(self) -> None:
        try:
            seeds = parse_seeds(self.seeds.text())
        except ValueError as e:
            self.error_raised.emit("Cannot add keyframes", str(e))
            return
        if self.add([Keyframe(seed=s) for s in seeds]):
            self.seeds.clear()

    def add_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add keyframes", self.start_dir, KEYFRAME_FILTER)
        if path:
            self.add_file_path(path)

    def add_file_path(self, path: str) -> bool:
        """Add every latent of a latent file, or every bookmark of a project file."""
        try:
            keys = load_keyframes(path)
        except ValueError as e:
            self.error_raised.emit("Cannot add keyframes", str(e))
            return False
        self.start_dir = str(Path(path).parent)
        return self.add(keys)

    def move(self, step: int) -> None:
        """Move the selected keyframe up (-1) or down (+1)."""
        i = self.list.currentRow()
        j = i + step
        if not (0 <= i < len(self.keys) and 0 <= j < len(self.keys)):
            return
        keys = list(self.keys)
        keys[i], keys[j] = keys[j], keys[i]
        self.set_keys(keys, j)

    def remove_selected(self) -> None:
        i = self.list.currentRow()
        if 0 <= i < len(self.keys):
            self.set_keys(self.keys[:i] + self.keys[i + 1 :], min(i, len(self.keys) - 2))

    def _sync(self) -> None:
        i, n = self.list.currentRow(), len(self.keys)
        self.up.setEnabled(0 < i < n)
        self.down.setEnabled(0 <= i < n - 1)
        self.remove.setEnabled(0 <= i < n)
        self.clear.setEnabled(n > 0)
