"""One entry point to load any supported model: a bundled name, a native checkpoint or a foreign file."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from engine import zoo
from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.native import load_native
from engine.errors import FileError
from engine.families import LoadedModel
from engine.limits import check_regular_file


def resolve(name_or_path: str | Path | None) -> Path:
    """A bundled model name (None = the default) or a path → an existing file path."""
    if name_or_path is None:
        entry = zoo.default_model()
        if entry is None:
            raise CheckpointError("assets", "no bundled model found (assets/MANIFEST.json lists none that exist)")
        return entry.path
    if str(name_or_path).strip() == "":
        raise CheckpointError("''", "empty file name (give a model file or a bundled model name)")
    entry = zoo.find(str(name_or_path))
    if entry is not None:
        return entry.path
    p = Path(name_or_path).expanduser()
    if not os.path.lexists(p):
        known = ", ".join(e.name for e in zoo.list_models()) or "none"
        raise CheckpointError(p, f"no such file or bundled model (bundled: {known})")
    try:  # FIFOs, devices and folders are refused before anything opens them
        check_regular_file(p, what="checkpoint file")
    except FileError as e:
        raise CheckpointError(p, e.reason) from None
    return p


def load_model(name_or_path: str | Path | None, device: torch.device | str = "cpu") -> LoadedModel:
    """Load a model from a bundled name or a file of any supported format (detected by content)."""
    path = resolve(name_or_path)
    from engine.checkpoints.sniff import sniff

    kind = sniff(path)
    if kind == "native":
        model = load_native(path, device)
    else:
        from engine.checkpoints.foreign import load_foreign

        model = load_foreign(path, kind).to(device)
    model.meta.setdefault("path", str(path))
    model.meta.setdefault("name", path.stem)
    return model
