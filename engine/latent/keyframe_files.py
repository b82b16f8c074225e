"""Keyframes from files: a latent file (``latentlab invert --out``, ``.npz``) or a gallery project
(``.latentlab.json``), recognised by content, not by suffix. Loading executes nothing.

- A latent file gives one keyframe per latent it holds, in order: space "z" ``[N, z_dim]`` → z
  keyframes; "w"/"w+" ``[N, num_ws, w_dim]`` → W+ keyframes (a projection in w has equal layers, so it
  also walks in w).
- A project gives one keyframe per bookmark, in order: its seed, or its explicit z. (A bookmark's class
  is not carried: a walk renders in one class.)

``index`` picks one entry (0-based) instead of all of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.latent.keyframes import Keyframe

ZIP_MAGIC = b"PK\x03\x04"


def keyframes_from_latent(path: str | Path) -> list[Keyframe]:
    """The latents of a latent file as keyframes (ValueError when it is not one or is malformed)."""
    from engine.latent.invert import load_latent

    p = Path(path)
    space, latent, _ = load_latent(p)
    if space == "z":
        if latent.ndim == 1:
            latent = latent[None]
        if latent.ndim != 2 or latent.shape[1] == 0:
            raise ValueError(f"'{p.name}': a z latent must be [N, z_dim], got {list(latent.shape)}")
    elif space in ("w", "w+"):
        if latent.ndim == 2:
            latent = latent[None]
        if latent.ndim != 3 or 0 in latent.shape[1:]:
            raise ValueError(f"'{p.name}': a {space} latent must be [N, num_ws, w_dim], got {list(latent.shape)}")
    else:
        raise ValueError(f"'{p.name}': unknown latent space {space!r} (expected z, w or w+)")
    if latent.shape[0] == 0:
        raise ValueError(f"'{p.name}' holds no latent")
    if not np.isfinite(latent).all():
        raise ValueError(f"'{p.name}' holds non-finite values")
    n = latent.shape[0]
    out = []
    for i, row in enumerate(latent):
        label = p.name if n == 1 else f"{p.name}#{i}"
        if space == "z":
            out.append(Keyframe(z=row, label=label))
        else:
            out.append(Keyframe(ws=row, label=label))
    return out


def keyframes_from_project(path: str | Path) -> list[Keyframe]:
    """The bookmarks of a gallery project as keyframes (GalleryError, a ValueError, when it is not one)."""
    from engine.latent.gallery import load_project

    p = Path(path)
    _, marks = load_project(p)
    if not marks:
        raise ValueError(f"'{p.name}' holds no bookmark")
    return [Keyframe(seed=m.seed, z=m.z, label=f"{p.name}: {m.name or f'seed {m.seed}'}") for m in marks]


def load_keyframes(path: str | Path, index: int | None = None) -> list[Keyframe]:
    """Keyframes from a latent file or a project file (by content); ``index`` picks one entry."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise ValueError(f"cannot read keyframe file '{p}': {e.strerror or e}") from e
    if head != ZIP_MAGIC and p.suffix.lower() == ".npz":
        raise ValueError(f"'{p.name}' is not a LatentLab latent file (not an .npz archive)")
    keys = keyframes_from_latent(p) if head == ZIP_MAGIC else keyframes_from_project(p)
    if index is None:
        return keys
    if not 0 <= index < len(keys):
        raise ValueError(f"'{p.name}' holds {len(keys)} latent(s); index {index} is outside 0..{len(keys) - 1}")
    return [keys[index]]
