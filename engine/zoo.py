"""The bundled models in ``assets/``: names, paths and the manifest. The only code that knows where assets live."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "emoji-stylegan2"


def assets_dir() -> Path:
    """The assets folder: ``$LATENTLAB_ASSETS`` or ``assets/`` at the repository root."""
    env = os.environ.get("LATENTLAB_ASSETS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "assets"


@dataclass(frozen=True)
class ZooEntry:
    """One bundled model as listed in ``assets/MANIFEST.json``."""

    name: str
    family: str
    path: Path
    description: str
    info: dict[str, Any]


@lru_cache(maxsize=4)
def _manifest(root: str) -> dict[str, Any]:
    p = Path(root) / "MANIFEST.json"
    if not p.exists():
        return {"models": {}}
    return json.loads(p.read_text(encoding="utf-8"))


def manifest() -> dict[str, Any]:
    """The parsed ``assets/MANIFEST.json``."""
    return _manifest(str(assets_dir()))


def list_models() -> list[ZooEntry]:
    """Every bundled model whose checkpoint exists."""
    out = []
    for name, info in manifest().get("models", {}).items():
        path = assets_dir() / info["path"]
        if path.exists():
            out.append(ZooEntry(name, info.get("family", "?"), path, info.get("description", ""), info))
    return out


def find(name: str) -> ZooEntry | None:
    """The bundled model called ``name`` (None when unknown)."""
    for e in list_models():
        if e.name == name:
            return e
    return None


def default_model() -> ZooEntry | None:
    """The model the app opens on."""
    name = manifest().get("default", DEFAULT_MODEL)
    return find(name) or (list_models()[0] if list_models() else None)


def data_path(name: str) -> Path:
    """A bundled dataset file under ``assets/data``."""
    return assets_dir() / "data" / name


def feature_network(name: str) -> Path:
    """Weights of the bundled feature network ``name`` (``feature_networks`` in the manifest).

    Raises :class:`LookupError` when the name is unknown or its file is missing.
    """
    nets = manifest().get("feature_networks", {})
    if name not in nets:
        known = ", ".join(sorted(nets)) or "none"
        raise LookupError(f"no bundled feature network '{name}' (bundled: {known})")
    path = assets_dir() / nets[name]["path"]
    if not path.exists():
        raise LookupError(f"bundled feature network '{name}' is listed but {path} is missing")
    return path


def sample_inputs(model_path: str | Path) -> dict[str, list[Path]]:
    """The sample training inputs a bundled translator ships with (``sample_inputs`` in the
    manifest), by the side they go in on: ``"A"`` (inputs of A → B, or of a multi-domain model)
    and ``"B"`` (inputs of B → A); empty for any other model."""
    try:
        wanted = Path(model_path).resolve()
    except OSError:
        return {}
    for e in list_models():
        if e.path.resolve() == wanted:
            out: dict[str, list[Path]] = {}
            for rel in e.info.get("sample_inputs") or []:
                path = assets_dir() / rel
                if path.exists():
                    out.setdefault("B" if "-inputB-" in path.name else "A", []).append(path)
            return out
    return {}
