"""Where training runs go when ``--out`` does not say: a per-user data folder (platformdirs; e.g.
``~/.local/share/LatentLab/runs`` on Linux, ``~/Library/Application Support/LatentLab/runs`` on macOS,
``%LOCALAPPDATA%\\LatentLab\\runs`` on Windows; ``$LATENTLAB_RUNS_DIR`` overrides it), each run in a
folder named after its preset (or family), its data and the date: ``quick-dcgan-fmnist-2025-06-01-1432``.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

APP_NAME = "LatentLab"
ENV = "LATENTLAB_RUNS_DIR"


def runs_root() -> Path:
    """The folder new runs go to: ``$LATENTLAB_RUNS_DIR``, else ``runs`` in the user's data folder."""
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False) / "runs"


def data_slug(data: str) -> str:
    """A short file-name-safe name for a data source: ``demo:emoji`` → ``emoji``, ``fmnist:train`` →
    ``fmnist``, ``fmnist:sneaker,ankle-boot`` → ``fmnist-sneaker-ankle-boot``, a folder or file → its name."""
    text = str(data).strip().rstrip("/\\")
    if text.startswith("demo:"):
        text = text[len("demo:") :]
    elif ":" in text and not Path(text).exists() and not re.match(r"^[A-Za-z]:[\\/]", text):
        name, _, part = text.partition(":")
        text = name if part in ("", "train") else f"{name}-{part}"
    else:
        p = Path(text)
        text = p.stem if p.suffix.lower() in (".zip", ".npz") else p.name
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:40] or "data"


def run_name(preset: str, data: str, when: datetime | None = None) -> str:
    """``PRESET-DATA-YYYY-MM-DD-HHMM`` (PRESET: a preset or family name)."""
    stamp = (when or datetime.now()).strftime("%Y-%m-%d-%H%M")
    head = re.sub(r"[^A-Za-z0-9]+", "-", preset).strip("-").lower() or "run"
    return f"{head}-{data_slug(data)}-{stamp}"


def new_run_dir(preset: str, data: str, root: Path | None = None, when: datetime | None = None) -> Path:
    """A folder for a new run under ``root`` (default :func:`runs_root`) that does not exist yet (a
    ``-2``, ``-3``... suffix when the name is taken). Nothing is created."""
    base = (root or runs_root()) / run_name(preset, data, when)
    path, n = base, 2
    while path.exists():
        path = base.with_name(f"{base.name}-{n}")
        n += 1
    return path


__all__ = ["data_slug", "new_run_dir", "run_name", "runs_root"]
