"""Convert any loadable checkpoint into the native format (safetensors + JSON)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from engine.checkpoints.loader import load_model
from engine.checkpoints.native import save_native

log = logging.getLogger(__name__)


def convert(src: str | Path, out_path: str | Path) -> Path:
    """Load ``src`` (any supported format) and save it natively at ``out_path``; returns the tensor path.

    The provenance records the source file, its format and how ``w_avg`` was obtained.
    """
    model = load_model(src)
    provenance: dict[str, Any] = {
        "converted_from": str(src),
        "source_format": model.meta.get("source", "native"),
    }
    for key in ("generator", "w_avg", "noise_const"):
        if key in model.meta:
            provenance[key] = model.meta[key]
    out = save_native(model, out_path, provenance=provenance)
    log.info("converted %s (%s) → %s", src, provenance["source_format"], out)
    return out


__all__ = ["convert"]
