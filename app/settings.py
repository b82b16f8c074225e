"""Persistent settings (QSettings): window geometry, last model, recent models, device, scaling, the
last folders and dialog choices, and each model's explorer state (:mod:`app.model_state`).

Dock layouts are saved per kind of model by :mod:`app.layout`."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

ORGANIZATION = "LatentLab"
APPLICATION = "LatentLab"
MAX_RECENT = 10
SCALINGS = ("auto", "smooth", "pixels")
"""Canvas scaling: ``auto`` (pixels for models up to :data:`PIXELS_UP_TO` px, smooth above), or always one."""
PIXELS_UP_TO = 64


def _as_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # INI files give a lone item back as a plain string
        return [value]
    return [str(v) for v in value]  # type: ignore[union-attr]


class Settings:
    """Typed access to the app's QSettings (the organisation/application names pick the store)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    # --- recent models ---------------------------------------------------------------------------
    def recent(self) -> list[str]:
        """Recently opened models (bundled names or paths), newest first, at most 10."""
        return _as_list(self.store.value("models/recent"))[:MAX_RECENT]

    def add_recent(self, name_or_path: str) -> list[str]:
        items = [name_or_path] + [r for r in self.recent() if r != name_or_path]
        items = items[:MAX_RECENT]
        self.store.setValue("models/recent", items)
        return items

    def remove_recent(self, name_or_path: str) -> None:
        self.store.setValue("models/recent", [r for r in self.recent() if r != name_or_path])

    def clear_recent(self) -> None:
        self.store.setValue("models/recent", [])

    @property
    def last_model(self) -> str | None:
        v = self.store.value("models/last")
        return str(v) if v else None

    @last_model.setter
    def last_model(self, value: str | None) -> None:
        self.store.setValue("models/last", value or "")

    @property
    def last_dir(self) -> str:
        return str(self.store.value("models/last_dir") or "")

    @last_dir.setter
    def last_dir(self, value: str) -> None:
        self.store.setValue("models/last_dir", value)

    # --- engine & view ---------------------------------------------------------------------------
    @property
    def device(self) -> str | None:
        v = self.store.value("engine/device")
        return str(v) if v else None

    @device.setter
    def device(self, value: str | None) -> None:
        self.store.setValue("engine/device", value or "")

    @property
    def scaling(self) -> str:
        """How the canvas scales frames: one of :data:`SCALINGS` (default ``auto``)."""
        v = str(self.store.value("view/scaling") or "auto")
        return v if v in SCALINGS else "auto"

    @scaling.setter
    def scaling(self, value: str) -> None:
        if value not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, got {value!r}")
        self.store.setValue("view/scaling", value)

    # --- window ----------------------------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray | None:
        v = self.store.value("window/geometry")
        return v if isinstance(v, QByteArray) and not v.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    # --- folders and dialog choices ------------------------------------------------------------------
    def folder(self, kind: str) -> str:
        """The folder a ``kind`` of file dialog ("save", "export", "project", ...) last used, if it still
        exists; else the one any save dialog last used; else the home folder."""
        for key in (f"folders/{kind}", "folders/save"):
            v = str(self.store.value(key) or "")
            if v and Path(v).is_dir():
                return v
        return str(Path.home())

    def set_folder(self, kind: str, path: str | Path) -> None:
        """Remember ``path``'s folder (``path`` itself when it is a folder) for ``kind`` and any save dialog."""
        p = Path(path)
        folder = str(p if p.is_dir() else p.parent)
        self.store.setValue(f"folders/{kind}", folder)
        self.store.setValue("folders/save", folder)

    def choices(self, dialog: str) -> dict[str, Any]:
        """What ``dialog`` was last accepted with (a JSON object; empty when never, or unreadable)."""
        return self._json(f"dialogs/{dialog}")

    def set_choices(self, dialog: str, values: dict[str, Any]) -> None:
        self.store.setValue(f"dialogs/{dialog}", json.dumps(values))

    # --- each model's explorer state -------------------------------------------------------------------
    @staticmethod
    def _model_key(source: str) -> str:
        return "model_state/" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:20]

    def model_state(self, source: str) -> dict[str, Any]:
        """The explorer state saved for the model opened from ``source`` (empty when none)."""
        state = self._json(self._model_key(source))
        return state if state.get("source") == source else {}

    def set_model_state(self, source: str, state: dict[str, Any]) -> None:
        self.store.setValue(self._model_key(source), json.dumps({**state, "source": source}))

    def _json(self, key: str) -> dict[str, Any]:
        text = self.store.value(key)
        if not text:
            return {}
        try:
            value = json.loads(str(text))
        except json.JSONDecodeError:
            log.warning("ignoring unreadable setting %s", key)
            return {}
        return value if isinstance(value, dict) else {}

    def sync(self) -> None:
        self.store.sync()
