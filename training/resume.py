"""Resuming a run from the newest checkpoint that can be read, after a crash of any kind.

A run killed at the wrong moment can leave a truncated newest checkpoint (a disk that filled up, a
copy interrupted), hidden temporary files from a write that never finished (SIGKILL during
``torch.save``), or more than ``keep`` checkpoints (killed between writing one and pruning the
oldest). :func:`tidy_run_folder` removes the temporary files; :func:`load_newest_readable` tries
the checkpoints newest first, sets aside each unreadable one (renamed ``*.pt.unreadable``, never
deleted) with a warning naming it, and loads the first good one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.safe_unpickle import load_torch
from engine.errors import DataError
from engine.fileio import remove_stale_temps

log = logging.getLogger(__name__)

UNREADABLE_SUFFIX = ".unreadable"


@dataclass
class Resumed:
    """The checkpoint a run resumes from, and the ones skipped on the way (``(file name, reason)``)."""

    step: int
    path: Path
    state: dict[str, Any]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def tidy_run_folder(run_dir: Path) -> list[Path]:
    """Remove temporary files left in a run folder (and its ``samples``) by a killed process; only
    hidden ``.NAME.*.tmp*`` files are touched. Call it with the run folder locked."""
    removed = remove_stale_temps(run_dir)
    if (run_dir / "samples").is_dir():
        removed += remove_stale_temps(run_dir / "samples")
    for p in removed:
        log.info("removed %s, left by an interrupted write", p)
    return removed


def load_newest_readable(
    ckpts: Sequence[tuple[int, Path]], apply: Callable[[dict[str, Any]], None], set_aside: bool = True
) -> Resumed:
    """Load the newest checkpoint of ``ckpts`` ((step, path), oldest first) that reads and applies
    (``apply(state)`` loads it into the trainer and raises if it does not fit). Unreadable ones are
    logged, and renamed ``NAME.unreadable`` when ``set_aside`` (so that later pruning and resumes do
    not take them for the newest). Raises :class:`DataError` when none can be used."""
    skipped: list[tuple[str, str]] = []
    for _step, path in reversed(ckpts):
        try:
            state = load_torch(path)
            if not isinstance(state, dict) or not isinstance(state.get("trainer"), dict) or "step" not in state:
                raise CheckpointError(path, "not a LatentLab training checkpoint")
            apply(state)
        except (CheckpointError, KeyError, RuntimeError, ValueError, TypeError, AttributeError) as e:
            reason = getattr(e, "reason", None) or f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"
            log.warning("skipping unreadable checkpoint %s: %s", path.name, reason)
            skipped.append((path.name, reason))
            if set_aside:
                try:
                    path.rename(path.with_name(path.name + UNREADABLE_SUFFIX))
                except OSError as err:
                    log.warning("could not set aside %s: %s", path.name, err)
            continue
        return Resumed(int(state["step"]), path, state, skipped)
    names = ", ".join(f"{n} ({r})" for n, r in skipped[:3])
    raise DataError(f"cannot resume: none of its {len(skipped)} checkpoint(s) can be read: {names}")


__all__ = ["UNREADABLE_SUFFIX", "Resumed", "load_newest_readable", "tidy_run_folder"]
