"""One entry point to load any supported model: a bundled name, a native checkpoint or a foreign file."""

from __future__ import annotations

from pathlib import Path

import torch

from engine import zoo
from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.native import load_native
from engine.families import LoadedModel


def resolve(name_or_path: str | Path | None) -> Path:
    """A bundled model name (None = the default) or a path → an existing file path."""
    if name_or_path is None or str(name_or_path) == "":
        entry = zoo.default_model()
        if entry is None:
            raise CheckpointError("assets", "no bundled model found (assets/MANIFEST.json lists none that exist)")
        return entry.path
    entry = zoo.find(str(name_or_path))
    if entry is not None:
        return entry.path
    p = Path(name_or_path).expanduser()
    if not p.exists():
        known = ", ".join(e.name for e in zoo.list_models()) or "none"
        raise CheckpointError(p, f"no such file or bundled model (bundled: {known})")
    if p.is_dir():
        raise CheckpointError(p, "is a folder, not a checkpoint file")
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
