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


def _short(source: str) -> str:
    return Path(source).name if ("/" in source or "\\" in source) else source


class ModelPanel(QWidget):
    """Bundled list, Open… button, recent list and current-model info.

    ``open_requested(name_or_path)`` when the user picks a model; ``browse_requested()`` for Open….
    """

    open_requested = Signal(str)
    browse_requested = Signal()
    title = "Model"

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
            lst.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
            lst.setMaximumHeight(110)
            lst.itemActivated.connect(self._activated)

        lay.addStretch(1)
        self.open_button.clicked.connect(self.browse_requested.emit)
        self.refresh_bundled()

    def refresh_bundled(self) -> None:
        """List the bundled models (from the zoo)."""
        self.bundled.clear()
        entries = zoo.list_models()
        for e in entries:
            item = QListWidgetItem(e.name)
            item.setData(ROLE_SOURCE, e.name)
            item.setToolTip(f"{e.family}: {e.description}" if e.description else e.family)
            self.bundled.addItem(item)
        if not entries:
            item = QListWidgetItem("(none bundled yet)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.bundled.addItem(item)

    def set_recent(self, sources: list[str]) -> None:
        self.recent.clear()
        for s in sources:
            item = QListWidgetItem(_short(s))
            item.setData(ROLE_SOURCE, s)
            item.setToolTip(s)
            self.recent.addItem(item)

    def set_model(self, name: str, caps: Capabilities, meta: dict[str, Any]) -> None:
        self.info.setText(describe_capabilities(name, caps, meta))

    def set_loading(self, source: str) -> None:
        self.info.setText(f"Loading <b>{_short(source)}</b>…")

    def _activated(self, item: QListWidgetItem) -> None:
        source = item.data(ROLE_SOURCE)
        if source:
            self.open_requested.emit(str(source))
