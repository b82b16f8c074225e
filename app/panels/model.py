"""The model panel: bundled models, Open…, recent models and what the current model is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine import zoo
from engine.families.base import Capabilities

ROLE_SOURCE = Qt.ItemDataRole.UserRole
ROLE_PATH = Qt.ItemDataRole.UserRole + 1
RECENT_ROWS = 4


def describe_capabilities(name: str, caps: Capabilities, meta: dict[str, Any]) -> str:
    """A few lines (HTML) about the current model, from its capabilities."""
    lines = [
        f"<b>{name}</b>",
        f"{caps.family} · {caps.task}",
        f"{caps.resolution}×{caps.resolution} · {caps.channels} channel{'s' if caps.channels != 1 else ''}",
    ]
    if caps.z_dim:
        lines.append(f"z: {caps.z_dim}")
    if caps.w_space:
        lines.append(f"w: {caps.w_space.w_dim} × {caps.w_space.num_ws} style layers")
    if caps.noise_layers:
        lines.append(f"noise layers: {caps.noise_layers}")
    if caps.classes:
        lines.append(f"classes: {len(caps.classes)}")
    path = meta.get("path")
    if path:
        lines.append(f"<span style='color:gray'>{Path(str(path)).name}</span>")
    return "<br>".join(lines)


def _fit_rows(lst: QListWidget, rows: int) -> None:
    """Make ``lst`` exactly ``rows`` entries tall (no scroll box when they all fit)."""
    row = lst.sizeHintForRow(0) if lst.count() else lst.fontMetrics().height() + 4
    lst.setFixedHeight(rows * max(row, 1) + 2 * lst.frameWidth() + 2)


def _short(source: str) -> str:
    return Path(source).name if ("/" in source or "\\" in source) else source


class ModelPanel(QWidget):
    """Bundled list, Open… button, recent list and current-model info.

    ``open_requested(name_or_path)`` when the user picks a model; ``browse_requested()`` for Open….
    """

    open_requested = Signal(str)
    browse_requested = Signal()
    title = "Model"
    min_visible_height = 220
    """The dock may shrink to the info and the top of the bundled list (the rest scrolls)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.info = QLabel("No model loaded")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.info)

        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a checkpoint file (.safetensors, .pt, .pth, .ckpt, .pkl)")
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        lay.addLayout(buttons)

        lay.addWidget(QLabel("Bundled"))
        self.bundled = QListWidget()
        self.bundled.setToolTip("Double-click to open")
        lay.addWidget(self.bundled)
        lay.addWidget(QLabel("Recent"))
        self.recent = QListWidget()
        self.recent.setToolTip("Double-click to open")
        lay.addWidget(self.recent)
        for lst in (self.bundled, self.recent):
            lst.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            lst.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            lst.itemActivated.connect(self._activated)

        lay.addStretch(1)
        self._current: tuple[str, str | None] | None = None
        self.open_button.clicked.connect(self.browse_requested.emit)
        self.refresh_bundled()

    def refresh_bundled(self) -> None:
        """List the bundled models (from the zoo)."""
        self.bundled.clear()
        entries = zoo.list_models()
        for e in entries:
            item = QListWidgetItem(e.name)
            item.setData(ROLE_SOURCE, e.name)
            item.setData(ROLE_PATH, str(Path(e.path).resolve()))
            item.setToolTip(f"{e.family}: {e.description}" if e.description else e.family)
            self.bundled.addItem(item)
        if not entries:
            item = QListWidgetItem("(none bundled yet)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.bundled.addItem(item)
        _fit_rows(self.bundled, self.bundled.count())

    def set_recent(self, sources: list[str]) -> None:
        self.recent.clear()
        for s in sources:
            item = QListWidgetItem(_short(s))
            item.setData(ROLE_SOURCE, s)
            item.setToolTip(s)
            self.recent.addItem(item)
        _fit_rows(self.recent, min(max(1, len(sources)), RECENT_ROWS))
        self._highlight(self.recent, self._current)

    def set_model(self, name: str, caps: Capabilities, meta: dict[str, Any]) -> None:
        """Describe the current model and highlight it in the lists (``meta["path"]``: its file)."""
        self.info.setText(describe_capabilities(name, caps, meta))
        path = meta.get("path")
        self._current = (name, str(Path(str(path)).resolve()) if path else None)
        self._highlight(self.bundled, self._current)
        self._highlight(self.recent, self._current)

    @staticmethod
    def _highlight(lst: QListWidget, current: tuple[str, str | None] | None) -> None:
        """Select the entry of ``current`` (name, resolved path) in ``lst``, or none."""
        row = -1
        if current is not None:
            name, path = current
            for i in range(lst.count()):
                item = lst.item(i)
                source = str(item.data(ROLE_SOURCE) or "")
                where = item.data(ROLE_PATH) or (
                    str(Path(source).resolve()) if ("/" in source or "\\" in source) else None
                )
                if (path is not None and where == path) or (where is None and source == name):
                    row = i
                    break
        blocked = lst.blockSignals(True)
        lst.setCurrentRow(row)
        if row < 0:
            lst.clearSelection()
        lst.blockSignals(blocked)

    def set_loading(self, source: str) -> None:
        self.info.setText(f"Loading <b>{_short(source)}</b>…")

    def _activated(self, item: QListWidgetItem) -> None:
        source = item.data(ROLE_SOURCE)
        if source:
            self.open_requested.emit(str(source))
