"""What the ``latentlab`` commands share: the error a user can fix, argument helpers, loading a
model, reading arrays, seed lists, image grids, latency statistics and output.

Nothing here imports torch at module level, so the command line starts quickly.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from engine.api import MAX_SEED, Transform
from engine.errors import LatentLabError, OutputError, shown
from engine.fileio import atomic_open, describe_os_error
from engine.grid import grid_shape, make_grid
from engine.limits import MAX_LATENT_FILE_BYTES, MAX_SEEDS, check_regular_file, size_text

if TYPE_CHECKING:
    import torch

    from engine.families import LoadedModel

PROG = "latentlab"
EXIT_USAGE = 2

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
    """A one-line description of ``e`` (a file error names the file, control characters escaped)."""
    if isinstance(e, OSError) and not isinstance(e, OutputError) and e.filename is not None:
        return f"{shown(e.filename)}: {describe_os_error(e)}"
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


def _npy_header(f: IO[bytes]) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from the header of an open ``.npy`` file (ValueError if it is not one)."""
    from numpy.lib import format as npy_format

    version = npy_format.read_magic(f)
    if version == (1, 0):
        shape, _fortran, dtype = npy_format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        shape, _fortran, dtype = npy_format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unknown .npy version {version}")
    return tuple(int(d) for d in shape), dtype


def read_npy(path: str, what: str) -> np.ndarray:
    """A numeric ``.npy`` array as float32; :class:`CliError` naming the file and ``what`` otherwise.

    The header is checked before the data is read: object arrays, non-numeric types and arrays larger
    than the file holds (or than :data:`engine.limits.MAX_LATENT_FILE_BYTES`) are refused."""
    p = Path(path).expanduser()

    def bad(reason: str) -> CliError:
        return CliError(f"{shown(path)}: {reason} (given as {what})")

    st = check_regular_file(p, what=f"{what} file")  # FIFOs, folders, devices: refused before opening
    try:
        with open(p, "rb") as f:
            if f.read(4) == b"PK\x03\x04":
                raise bad("is an .npz archive; give a .npy array")
            f.seek(0)
            try:
                shape, dtype = _npy_header(f)
            except (ValueError, SyntaxError, EOFError) as e:
                raise bad("not a .npy file (expected numpy.save output)") from e
            if dtype.hasobject or not np.issubdtype(dtype, np.number):
                raise bad(f"holds {dtype} values, not numbers (object arrays are never loaded)")
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes > MAX_LATENT_FILE_BYTES:
                raise bad(f"its {size_text(nbytes)} array is more than the limit of {size_text(MAX_LATENT_FILE_BYTES)}")
            if nbytes > st.st_size - f.tell():
                raise bad(f"its header promises {size_text(nbytes)}, more than the file holds")
            f.seek(0)
            arr = np.load(f, allow_pickle=False)
    except OSError as e:
        raise bad(f"cannot read ({describe_os_error(e)})") from e
    except ValueError as e:
        raise bad(f"cannot read ({one_line(e)})") from e
    return np.asarray(arr, dtype=np.float32)


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


def parse_translate(text: str, option: str = "--translate") -> tuple[float, float]:
    """``X,Y`` (image widths) → (x, y); anything else is a :class:`CliError` naming ``option``."""
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise CliError(f"{option} must be X,Y (two numbers), got {text!r}") from None
    return x, y


def input_transform(
    caps: Any, translate: str | None, rotate: float | None, options: str = "--translate and --rotate"
) -> Transform | None:
    """``--translate X,Y`` / ``--rotate DEG`` as the request's :class:`~engine.api.Transform` (None when
    neither is given); refused in one line for a model without an input transform (``caps``)."""
    if translate is None and rotate is None:
        return None
    if not caps.input_transform:
        raise CliError(f"{caps.family} models have no input transform; {options} need one (StyleGAN3)")
    x, y = parse_translate(translate, options.split()[0]) if translate is not None else (0.0, 0.0)
    try:
        return Transform(x, y, 0.0 if rotate is None else float(rotate))
    except ValueError as e:
        raise CliError(f"{options}: {e}") from None


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


def progress_bar(total: int, unit: str) -> Any:
    """A tqdm progress line on stderr while stderr is a terminal (disabled otherwise, so scripts and
    logs get no carriage-return noise). Use as a context manager; ``update(n)`` after each step."""
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    try:
        size = os.get_terminal_size(sys.stderr.fileno()) if tty else os.terminal_size((0, 0))
    except (OSError, ValueError):
        size = os.terminal_size((0, 0))
    return tqdm(
        total=total,
        unit=f" {unit}",
        file=sys.stderr,
        disable=not tty,
        ncols=min(size.columns, 120) or 80,  # a terminal that reports no size (a bare pty): 80 × 24
        nrows=size.lines or 24,
        leave=False,
        mininterval=0.2,
    )


def drive(job: Any, unit: str = "steps") -> Any:
    """Run a job generator (yielding ``(done, total, message)``) to its end in this thread, with a
    progress line on stderr when it is a terminal; returns the job's value."""
    try:
        with progress_bar(0, unit) as bar:
            while True:
                try:
                    done, total, _msg = next(job)
                except StopIteration as stop:
                    return stop.value
                if total and bar.total != total:
                    bar.reset(total=total)
                bar.update(done - bar.n)
    finally:
        job.close()  # an exception here (SIGTERM as SystemExit, Ctrl-C) cancels the job: its temp files go


# --- memory and disk --------------------------------------------------------------------------------
RENDER_BUDGET_BYTES = 2 << 30
"""Working memory one batch of ``generate`` may take (activations, estimated; see :func:`batch_for`)."""
ACTIVATION_CHANNELS = 96
"""Float32 values per output pixel a generator holds at once while it renders its last layers (feature
maps of 32–64 channels at full resolution, their inputs and the modulated weights' outputs)."""


def image_bytes_estimate(resolution: int, channels: int) -> int:
    """Estimated working memory to render one image of ``resolution``² × ``channels`` (float32)."""
    return resolution * resolution * 4 * (ACTIVATION_CHANNELS + channels)


def batch_for(resolution: int, channels: int, requested: int, budget: int = RENDER_BUDGET_BYTES) -> int:
    """``requested`` images per forward pass, capped so that one batch fits in ``budget`` bytes
    (at 1024² about 5 images, at 64² the request as given)."""
    return max(1, min(requested, budget // max(1, image_bytes_estimate(resolution, channels))))


def _existing_parent(path: Path) -> Path:
    p = path.absolute().parent
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_free_space(path: str | Path, nbytes: int, what: str) -> None:
    """Refuse (one line naming ``path``) an output of ``nbytes`` larger than the free space where it goes."""
    try:
        free = shutil.disk_usage(_existing_parent(Path(path))).free
    except OSError:
        return
    if nbytes > free:
        raise CliError(f"{shown(path)}: {what} needs {size_text(nbytes)}, only {size_text(free)} free there")


# --- writing files (always through engine.fileio: a temp file beside the output, renamed at the end) -------
def save_image(path: str | Path, image: np.ndarray, fmt: str | None = None) -> Path:
    """Write a uint8 HW or HWC image with Pillow (``fmt``: a Pillow format; default by suffix),
    atomically: a failure leaves whatever was at ``path`` as it was."""
    from PIL import Image

    p = Path(path).expanduser()
    im = Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image)
    with atomic_open(p) as f:
        im.save(f, format=fmt or image_format(str(p)))
    return p


class NpyWriter:
    """A float32 ``.npy`` of a known shape written in slices along its first axis, so the whole array is
    never in memory. The file is written to a temporary name and appears at ``path`` only after the
    last slice (:func:`engine.fileio.atomic_open`); the bytes are those ``numpy.save`` writes."""

    def __init__(self, path: str | Path, shape: tuple[int, ...]) -> None:
        self.path = Path(path).expanduser()
        self.shape = tuple(int(d) for d in shape)
        self.rows = 0
        self._ctx: Any = None
        self._f: Any = None

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * 4

    def __enter__(self) -> NpyWriter:
        from numpy.lib import format as npy_format

        self._ctx = atomic_open(self.path, "wb")
        self._f = self._ctx.__enter__()
        header = {"descr": npy_format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False, "shape": self.shape}
        npy_format.write_array_header_1_0(self._f, header)
        return self

    def write(self, rows: np.ndarray) -> None:
        """Append ``rows`` (shape ``(k, *shape[1:])``) after those written so far."""
        if tuple(rows.shape[1:]) != self.shape[1:] or self.rows + rows.shape[0] > self.shape[0]:
            raise ValueError(f"rows {rows.shape} do not continue an array of shape {self.shape} at row {self.rows}")
        self._f.write(np.ascontiguousarray(rows, dtype="<f4").tobytes())
        self.rows += rows.shape[0]

    def __exit__(self, kind: Any, value: Any, tb: Any) -> bool:
        if kind is None and self.rows != self.shape[0]:
            error = ValueError(f"only {self.rows} of {self.shape[0]} rows were written to {shown(self.path)}")
            self._ctx.__exit__(ValueError, error, None)  # removes the temporary file
            raise error
        return bool(self._ctx.__exit__(kind, value, tb))


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
    "check_seed",
    "class_index",
    "NpyWriter",
    "batch_for",
    "check_free_space",
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
    "progress_bar",
    "read_npy",
    "save_image",
    "verbose_arg",
]
