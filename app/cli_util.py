"""Small helpers for the ``latentlab`` command line: seed lists, image grids, latency statistics.

Nothing here imports torch, so these helpers are cheap to import and to test.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MAX_SEED = 2**32 - 1
MAX_SEEDS = 1_000_000


class CliError(Exception):
    """A user error: reported as one ``latentlab: error: ...`` line and exit code 2."""


def parse_seeds(text: str) -> list[int]:
    """Parse a seed list: ``0-7``, ``1,5,9``, ``0-3,10`` (inclusive ranges, any order, repeats kept).

    Raises :class:`CliError` with a one-line reason on bad syntax or out-of-range values.
    """
    if text is None or not str(text).strip():
        raise CliError("--seeds is empty (examples: 0-7, 1,5,9, 0-3,10)")
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            raise CliError(f"bad seed list {text!r}: empty item (examples: 0-7, 1,5,9, 0-3,10)")
        lo_s, sep, hi_s = part.partition("-")
        try:
            lo = int(lo_s.strip())
            hi = int(hi_s.strip()) if sep else lo
        except ValueError:
            raise CliError(f"bad seed list {text!r}: {part!r} is not a seed or a range like 0-7") from None
        if lo < 0 or hi < 0 or lo > MAX_SEED or hi > MAX_SEED:
            raise CliError(f"bad seed list {text!r}: seeds must be in 0..{MAX_SEED}")
        if hi < lo:
            raise CliError(f"bad seed list {text!r}: range {part!r} ends before it starts")
        if len(seeds) + (hi - lo + 1) > MAX_SEEDS:
            raise CliError(f"bad seed list {text!r}: more than {MAX_SEEDS} seeds")
        seeds.extend(range(lo, hi + 1))
    return seeds


def grid_shape(n: int, cols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of a grid for ``n`` images; ``cols`` defaults to ceil(sqrt(n))."""
    if n <= 0:
        raise CliError("no images to put in a grid")
    if cols is None:
        cols = math.ceil(math.sqrt(n))
    if cols <= 0:
        raise CliError(f"--cols must be at least 1, got {cols}")
    cols = min(cols, n)
    return math.ceil(n / cols), cols


def make_grid(images: np.ndarray, cols: int | None = None) -> np.ndarray:
    """Tile uint8 NHWC images row by row into one HWC image (empty cells are black)."""
    if images.ndim != 4:
        raise ValueError(f"expected NHWC images, got shape {images.shape}")
    n, h, w, c = images.shape
    rows, cols = grid_shape(n, cols)
    grid = np.zeros((rows * h, cols * w, c), dtype=images.dtype)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[r * h : (r + 1) * h, k * w : (k + 1) * w] = images[i]
    return grid


def latency_stats(ms: Sequence[float]) -> dict[str, float]:
    """Median, p95, mean, min and max of latencies in milliseconds, and fps = 1000 / median."""
    a = np.asarray(ms, dtype=np.float64)
    if a.size == 0:
        raise ValueError("no latencies")
    median = float(np.median(a))
    return {
        "median_ms": round(median, 4),
        "p95_ms": round(float(np.percentile(a, 95)), 4),
        "mean_ms": round(float(a.mean()), 4),
        "min_ms": round(float(a.min()), 4),
        "max_ms": round(float(a.max()), 4),
        "fps": round(1000.0 / median, 3) if median > 0 else float("inf"),
    }


def drive(job: Any, unit: str = "") -> Any:
    """Run a job generator (yielding ``(done, total, message)``) to its end in this thread, with a
    one-line progress counter on stderr when it is a terminal; returns the job's value."""
    tty = sys.stderr.isatty()
    try:
        while True:
            try:
                done, total, msg = next(job)
            except StopIteration as stop:
                return stop.value
            if tty:
                sys.stderr.write(f"\r{done}/{total} {unit or msg:<40}")
    finally:
        if tty:
            sys.stderr.write("\n")


def out(text: str = "") -> None:
    """Write one line of command output to stdout."""
    sys.stdout.write(text + "\n")


def out_json(obj: Any) -> None:
    """Write ``obj`` as one JSON document to stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    sys.stdout.flush()


def format_value(v: Any) -> str:
    """A compact one-line rendering of a scalar, list or small mapping."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list | tuple):
        return ", ".join(format_value(x) for x in v) if v else "(none)"
    if v is None:
        return "-"
    return str(v)


def format_mapping(d: Mapping[str, Any], indent: int = 2, width: int = 18) -> list[str]:
    """Lines ``key  value`` for a (possibly nested) mapping; nested mappings are indented."""
    lines: list[str] = []
    pad = " " * indent
    for k, v in d.items():
        if isinstance(v, Mapping):
            if not v:
                lines.append(f"{pad}{k:<{width}}(none)")
                continue
            lines.append(f"{pad}{k}:")
            lines.extend(format_mapping(v, indent + 2, max(width - 2, 8)))
        else:
            lines.append(f"{pad}{k:<{width}}{format_value(v)}")
    return lines
