"""What the ``latentlab`` commands share: the error a user can fix, argument helpers, loading a
model, reading arrays, seed lists, image grids, latency statistics and output.

Nothing here imports torch at module level, so the command line starts quickly.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.api import MAX_SEED
from engine.errors import LatentLabError
from engine.grid import grid_shape, make_grid

if TYPE_CHECKING:
    import torch

    from engine.families import LoadedModel

PROG = "latentlab"
EXIT_USAGE = 2
MAX_SEEDS = 1_000_000

log = logging.getLogger("latentlab.cli")


class CliError(LatentLabError):
    """A user error: reported as one ``latentlab: error: ...`` line and exit code 2."""


# --- argument parsing ---------------------------------------------------------------------------------
class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one ``latentlab: error: ...`` line (exit code 2)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        hint = f" (see '{self.prog} --help')"
        sys.stderr.write(f"{PROG}: error: {one_line(message)}{hint}\n")
        self.exit(EXIT_USAGE)


def verbose_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more logging on stderr (-vv: debug)"
    )


def device_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        metavar="D",
        help="auto, cpu, cuda[:N] or mps (default: $LATENTLAB_DEVICE, else cuda > mps > cpu)",
    )


def model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "model",
        nargs="?",
        metavar="MODEL",
        help="bundled model name or checkpoint file (native .safetensors or a supported foreign format); "
        "default: the default bundled model",
    )


# --- messages -----------------------------------------------------------------------------------------
def one_line(msg: object) -> str:
    """``msg`` as one line of at most 800 characters."""
    lines = [s.strip() for s in str(msg).strip().splitlines() if s.strip()]
    text = " ".join(lines) if lines else ""
    return text if len(text) <= 800 else text[:797] + "..."


def describe_error(e: BaseException) -> str:
    """A one-line description of ``e`` (a file error names the file)."""
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    if isinstance(e, KeyError) and e.args:
        return str(e.args[0])
    return one_line(e) or type(e).__name__


# --- models and files ---------------------------------------------------------------------------------
def device(name: str | None) -> torch.device:
    """The torch device for ``--device`` (see :func:`engine.device.choose_device`)."""
    from engine.device import choose_device

    return choose_device(name)


def load(name_or_path: str | None, on: torch.device | None = None) -> LoadedModel:
    """Load a bundled model or checkpoint on the CPU, then move it to device ``on``."""
    from engine.checkpoints.loader import load_model

    t0 = time.perf_counter()
    model = load_model(name_or_path, "cpu")
    if on is not None:
        model.to(on)
    log.info("loaded %s (%s) in %.2f s", model.meta.get("path", name_or_path), model.family, time.perf_counter() - t0)
    return model


def model_name(model: LoadedModel, fallback: str | None) -> str:
    """The model's name, else the file stem it was loaded from."""
    return str(model.meta.get("name") or (Path(fallback).stem if fallback else "model"))


def read_npy(path: str, what: str) -> np.ndarray:
    """A numeric ``.npy`` array as float32; :class:`CliError` naming ``what`` and the file otherwise."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise CliError(f"{what} file '{path}' not found")
    try:
        arr = np.load(p, allow_pickle=False)
    except Exception as e:
        reason = describe_error(e)
        if "pickle" in reason:  # numpy's guess for anything without the .npy magic
            reason = "not a .npy file (expected numpy.save output)"
        raise CliError(f"cannot read {what} file '{path}': {reason}") from e
    if not isinstance(arr, np.ndarray):
        arr.close()  # an .npz archive
        raise CliError(f"{what} file '{path}' is an .npz archive; give a .npy array")
    if not np.issubdtype(arr.dtype, np.number):
        raise CliError(f"{what} file '{path}' does not hold a numeric array")
    return arr.astype(np.float32)


def class_index(text: str, classes: Sequence[str]) -> int:
    """A class given as an index or a name (case-insensitive)."""
    k = len(classes)
    try:
        idx = int(text)
    except ValueError:
        lowered = [c.lower() for c in classes]
        if text.lower() in lowered:
            return lowered.index(text.lower())
        shown = ", ".join(classes[:8]) + (", ..." if k > 8 else "")
        raise CliError(f"unknown class '{text}' (give an index 0..{k - 1} or a name: {shown})") from None
    if not 0 <= idx < k:
        raise CliError(f"class {idx} out of range 0..{k - 1}")
    return idx


def image_format(path: str) -> str:
    """The Pillow format for an output image path (by its suffix)."""
    from PIL import Image

    suffix = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    if fmt is None:
        raise CliError(f"--out '{path}': unknown image type '{suffix or '(no extension)'}' (use .png)")
    return fmt


# --- seeds, grids, statistics -------------------------------------------------------------------------
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


def check_seed(seed: int) -> int:
    """``seed`` when it is in 0..MAX_SEED, else :class:`CliError`."""
    if not 0 <= seed <= MAX_SEED:
        raise CliError(f"seeds must be in 0..{MAX_SEED}, got {seed}")
    return seed


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


class ProgressLine:
    """Progress of a job on stderr: when stderr is a terminal, one line rewritten in place
    (``done/total message — about 2 min left``); otherwise nothing on the terminal, and about every
    tenth step plus the last logged at info level (shown with ``--verbose``). Call with each
    ``(done, total, message)``; :meth:`close` ends the line."""

    def __init__(self, unit: str = "") -> None:
        self.unit = unit
        self.tty = sys.stderr.isatty()
        self._eta: Any = None
        self._width = 0

    def __call__(self, progress: tuple[int, int, str]) -> None:
        from engine.progress import Eta

        done, total, msg = (tuple(progress) + ("",))[:3]
        if total > 0 and (self._eta is None or self._eta.total != total):
            self._eta = Eta(total)
        left = self._eta.text(done) if total > 0 else ""
        text = " — ".join(t for t in (f"{done}/{total} {self.unit or msg}".rstrip(), left) if t)
        if self.tty:
            sys.stderr.write("\r" + text.ljust(self._width))
            sys.stderr.flush()
            self._width = max(self._width, len(text))
        elif total > 0 and (done % max(1, total // 10) == 0 or done == total):
            log.info("%s", text)

    def close(self) -> None:
        if self.tty and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()


def drive(job: Any, unit: str = "") -> Any:
    """Run a job generator (yielding ``(done, total, message)``) to its end in this thread, showing its
    progress with :class:`ProgressLine`; returns the job's value."""
    line = ProgressLine(unit)
    try:
        while True:
            try:
                progress = next(job)
            except StopIteration as stop:
                return stop.value
            line(progress)
    finally:
        line.close()


# --- output -------------------------------------------------------------------------------------------
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
    """Lines ``key  value`` for a (possibly nested) mapping; nested mappings are indented. Values start
    in one column per mapping: ``width`` characters after the indent, or two after its longest key."""
    lines: list[str] = []
    pad = " " * indent
    width = max([width] + [len(str(k)) + 2 for k, v in d.items() if not (isinstance(v, Mapping) and v)])
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


__all__ = [
    "EXIT_USAGE",
    "MAX_SEED",
    "PROG",
    "CliError",
    "Parser",
    "ProgressLine",
    "check_seed",
    "class_index",
    "describe_error",
    "device",
    "device_arg",
    "drive",
    "format_mapping",
    "format_value",
    "grid_shape",
    "image_format",
    "latency_stats",
    "load",
    "make_grid",
    "model_arg",
    "model_name",
    "one_line",
    "out",
    "out_json",
    "parse_seeds",
    "read_npy",
    "verbose_arg",
]
