"""A disk cache of real-data features, keyed by (dataset spec, extractor name, n).

Real-data features do not change between evaluations, so they are computed once and stored as
``.npz`` files under ``$LATENTLAB_CACHE/metrics`` (default ``~/.cache/latentlab/metrics``). Folder and
file datasets add their modification time to the key, so edited data is not served stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from engine.fileio import atomic_write

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """``$LATENTLAB_CACHE/metrics``, else ``~/.cache/latentlab/metrics``."""
    root = os.environ.get("LATENTLAB_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "latentlab"
    return base / "metrics"


def _data_identity(spec: str) -> str:
    p = Path(spec).expanduser()
    if ":" not in spec and p.exists():
        return f"{p.resolve()}@{p.stat().st_mtime_ns}"
    return spec


def cache_key(spec: str, extractor: str, n: int, resolution: int, channels: int) -> str:
    """A file-name-safe key: readable prefix + hash of everything that decides the features."""
    ident = json.dumps([_data_identity(spec), extractor, n, resolution, channels])
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in spec)[-40:]
    return f"{safe}-n{n}-{digest}"


def load_features(key: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Cached ``(features, logits | None)``, or None when absent or unreadable."""
    path = cache_dir() / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as d:
            feats = d["features"].astype(np.float64)
            logits = d["logits"].astype(np.float64) if "logits" in d else None
    except (OSError, ValueError, KeyError) as e:
        log.warning("ignoring unreadable metrics cache %s: %s", path, e)
        return None
    log.info("real-data features from cache %s", path)
    return feats, logits


def save_features(key: str, features: np.ndarray, logits: np.ndarray | None) -> Path | None:
    """Store features (and logits) as float32; a cache that cannot be written is only a warning."""
    path = cache_dir() / f"{key}.npz"
    arrays = {"features": features.astype(np.float32)}
    if logits is not None:
        arrays["logits"] = logits.astype(np.float32)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    try:
        return atomic_write(path, write)
    except OSError as e:
        log.warning("cannot write metrics cache %s: %s", path, e)
        return None
