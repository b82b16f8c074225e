"""Reading ``.npz`` archives with their headers checked first.

``np.load`` trusts what an archive declares: a deflated member may inflate a thousandfold, an
``.npy`` header may promise more data than follows (numpy allocates it, then fails), and object
arrays are pickles. :func:`read_npz` opens the zip directory and each member's ``.npy`` header
without reading data, and refuses object dtypes, members whose declared size differs from their
stored size, members that inflate more than a ratio (unless small), and archives whose arrays add
up to more than a limit; only then are the arrays read. Errors are
:class:`~engine.errors.DataError` naming the file.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from engine.errors import DataError, FileError
from engine.limits import (
    DATA_ZIP_MAX_RATIO,
    MAX_NPZ_BYTES,
    ZIP_SMALL_BYTES,
    check_regular_file,
    expansion_ok,
    size_text,
)


def _member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, header bytes) of one ``.npy`` member, read without its data."""
    with zf.open(info) as f:
        version = npy_format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = npy_format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
        header_bytes = f.tell()
    return tuple(int(d) for d in shape), np.dtype(dtype), header_bytes


def check_npz(
    path: str | Path, max_bytes: int = MAX_NPZ_BYTES, max_ratio: float = DATA_ZIP_MAX_RATIO
) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Check an ``.npz`` without reading its arrays; returns ``{name: (shape, dtype)}``."""
    p = Path(path)
    try:
        st = check_regular_file(p, what="npz file")
    except FileError as e:
        raise DataError(e.reason, p) from None
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise DataError(f"not an .npz archive ({e})", p) from e
    out: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    total = 0
    with zf:
        for info in zf.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if info.compress_type != zipfile.ZIP_STORED and not expansion_ok(
                info.file_size, info.compress_size, max_ratio, ZIP_SMALL_BYTES
            ):
                raise DataError(
                    f"array {name[:60]!r} inflates from {size_text(info.compress_size)} to "
                    f"{size_text(info.file_size)} (more than {max_ratio:g}×)",
                    p,
                )
            try:
                shape, dtype, header_bytes = _member_header(zf, info)
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, SyntaxError) as e:
                raise DataError(f"array {name[:60]!r} has no readable .npy header ({e})", p) from e
            if dtype.hasobject:
                raise DataError(f"array {name[:60]!r} holds Python objects (refused: they are pickles)", p)
            if any(d < 0 for d in shape):
                raise DataError(f"array {name[:60]!r} has a negative dimension {shape}", p)
            nbytes = math.prod(shape) * dtype.itemsize
            if header_bytes + nbytes != info.file_size:
                raise DataError(
                    f"array {name[:60]!r} declares {shape} {dtype} ({size_text(nbytes)}) but stores "
                    f"{size_text(max(info.file_size - header_bytes, 0))}",
                    p,
                )
            total += nbytes
            if total > max_bytes:
                raise DataError(f"arrays add up to more than the limit of {size_text(max_bytes)}", p)
            out[name] = (shape, dtype)
    if not expansion_ok(total, st.st_size, max_ratio, ZIP_SMALL_BYTES):
        raise DataError(f"archive of {size_text(st.st_size)} unpacks to {size_text(total)}", p)
    return out


def read_npz(
    path: str | Path,
    names: Iterable[str] | None = None,
    max_bytes: int = MAX_NPZ_BYTES,
    max_ratio: float = DATA_ZIP_MAX_RATIO,
) -> dict[str, np.ndarray]:
    """The arrays ``names`` (all when None; missing names are left out) of a checked ``.npz``."""
    p = Path(path)
    declared = check_npz(p, max_bytes, max_ratio)
    wanted = list(declared) if names is None else [n for n in names if n in declared]
    try:
        with np.load(p, allow_pickle=False) as d:
            return {n: d[n] for n in wanted}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise DataError(f"cannot read arrays ({type(e).__name__}: {' '.join(str(e).split())[:120]})", p) from e


__all__ = ["check_npz", "read_npz"]
