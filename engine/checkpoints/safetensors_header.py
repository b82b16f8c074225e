"""Reading and checking a safetensors header before any tensor is touched.

A safetensors file is an 8-byte little-endian header length, a JSON header (tensor name → dtype,
shape, data offsets; plus string ``__metadata__``), then the tensor bytes. :func:`read_header` reads
only the header (its length capped by :data:`engine.limits.MAX_SAFETENSORS_HEADER_BYTES` and by the
file size) and checks it fully: known dtypes, non-negative integer shapes, offsets inside the data,
each tensor's byte count equal to its shape × dtype size, spans that tile the data exactly. A file
that passes holds exactly the bytes its header promises, so loading it allocates at most its size.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from engine.checkpoints.errors import CheckpointError
from engine.errors import FileError
from engine.limits import MAX_SAFETENSORS_HEADER_BYTES, check_regular_file, size_text

DTYPE_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
    "C64": 8,
}


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the header declares it."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    """A checked header: the tensors, the string metadata, and the size of the data section."""

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str]
    data_bytes: int


def read_header(path: str | Path) -> SafetensorsHeader:
    """Read and check the header of ``path``; :class:`CheckpointError` names the file and the defect."""
    p = Path(path)
    try:
        st = check_regular_file(p, what="safetensors file")
    except FileError as e:
        raise CheckpointError(p, e.reason) from None
    size = st.st_size
    if size < 8:
        raise CheckpointError(p, "not a valid safetensors file (shorter than its 8-byte header length)")
    try:
        with open(p, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if n > MAX_SAFETENSORS_HEADER_BYTES:
                raise CheckpointError(
                    p,
                    f"safetensors header claims {size_text(n)}, more than the limit of "
                    f"{size_text(MAX_SAFETENSORS_HEADER_BYTES)}",
                )
            if 8 + n > size:
                raise CheckpointError(p, f"not a valid safetensors file (header of {n} bytes in a {size}-byte file)")
            raw = f.read(n)
    except OSError as e:
        raise CheckpointError(p, f"cannot read file ({e.strerror or e})") from e
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise CheckpointError(p, "not a valid safetensors file (its header is not JSON)") from e
    if not isinstance(doc, dict):
        raise CheckpointError(p, "not a valid safetensors file (its header is not a JSON object)")
    data_bytes = size - 8 - n
    meta = doc.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise CheckpointError(p, "not a valid safetensors file (__metadata__ must map strings to strings)")
    tensors: dict[str, TensorInfo] = {}
    for name, info in doc.items():
        tensors[name] = _tensor(p, name, info, data_bytes)
    spans = sorted((t.begin, t.end, name) for name, t in tensors.items())
    pos = 0
    for begin, end, name in spans:
        if begin != pos:
            raise CheckpointError(p, f"not a valid safetensors file (tensor {name!r} overlaps another or leaves a gap)")
        pos = end
    if pos != data_bytes:
        raise CheckpointError(p, f"not a valid safetensors file (tensors cover {pos} of {data_bytes} data bytes)")
    return SafetensorsHeader(tensors, dict(meta), data_bytes)


def _tensor(p: Path, name: str, info: object, data_bytes: int) -> TensorInfo:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(p, f"not a valid safetensors file (tensor {name[:80]!r}: {why})")

    if not isinstance(info, dict):
        raise bad("entry is not an object")
    dtype = info.get("dtype")
    if dtype not in DTYPE_SIZES:
        raise bad(f"unknown dtype {str(dtype)[:20]!r}")
    shape = info.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise bad("shape must be a list of non-negative integers")
    offsets = info.get("data_offsets")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
    ):
        raise bad("data_offsets must be two integers")
    begin, end = offsets
    if not 0 <= begin <= end <= data_bytes:
        raise bad(f"data_offsets {begin}..{end} lie outside the {data_bytes} data bytes")
    nbytes = math.prod(shape) * DTYPE_SIZES[dtype]
    if nbytes != end - begin:
        raise bad(f"shape {tuple(shape)} × {dtype} needs {nbytes} bytes, its offsets hold {end - begin}")
    return TensorInfo(dtype, tuple(shape), begin, end)


__all__ = ["DTYPE_SIZES", "SafetensorsHeader", "TensorInfo", "read_header"]
