"""Checking a PyTorch file's structure before ``torch.load`` allocates anything.

``torch.load`` trusts the sizes a file declares: a legacy (pre-1.6) file's pickle says how large each
storage is and torch allocates that much before reading it; a zip file's members may be deflated
(a 2 MB member can inflate to gigabytes); a tensor may be a view with stride 0 over a one-element
storage, harmless until someone makes it contiguous. This module reads the structure first, with an
unpickler that builds only inert stand-ins (nothing named in the file is imported or called), and
refuses:

* zip members that expand more than :data:`engine.limits.ZIP_MAX_RATIO` (unless small), and a
  ``data.pkl`` over :data:`engine.limits.MAX_PICKLE_BYTES`;
* storages whose declared size differs from the bytes stored for them (zip) or whose declared sizes
  add up to more than the file holds (legacy);
* tensor views with negative sizes, strides or offsets, stride 0 over more than one element, more
  elements than their storage, or reaching past its end.

:func:`check_tensors` applies the same view rules to what ``torch.load`` returned (and refuses meta
tensors), so every converter downstream only sees tensors backed by bytes from the file.
"""

from __future__ import annotations

import io
import math
import pickle
import zipfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.limits import MAX_PICKLE_BYTES, ZIP_MAX_RATIO, ZIP_SMALL_BYTES, expansion_ok, size_text

STORAGE_ITEMSIZE = {
    "DoubleStorage": 8,
    "FloatStorage": 4,
    "HalfStorage": 2,
    "BFloat16Storage": 2,
    "LongStorage": 8,
    "IntStorage": 4,
    "ShortStorage": 2,
    "CharStorage": 1,
    "ByteStorage": 1,
    "BoolStorage": 1,
    "ComplexFloatStorage": 8,
    "ComplexDoubleStorage": 16,
    "QInt8Storage": 1,
    "QUInt8Storage": 1,
    "QInt32Storage": 4,
    "QUInt4x2Storage": 1,
    "QUInt2x4Storage": 1,
    "UntypedStorage": 1,
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_MAX_TENSORS = 1_000_000


class ScanError(ValueError):
    """The structure of a torch file is refused (the message says why)."""


@dataclass
class _StorageRef:
    key: str
    itemsize: int
    numel: int  # in elements of the storage's dtype


class _Stub:
    """Inert stand-in for anything the file names: accepts every pickle operation, does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Any) -> None:
        pass


@dataclass(frozen=True)
class _StorageType:
    name: str
    itemsize: int


def check_view(offset: Any, size: Any, stride: Any, storage_numel: int, what: str = "tensor") -> None:
    """Refuse a view (``offset``, ``size``, ``stride`` in elements) that does not fit a storage of
    ``storage_numel`` elements without repeating elements: no negative values, stride 0 only over
    one element, no more elements than the storage, no element past its end."""
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ScanError(f"{what} has a bad storage offset {offset!r}"[:200])
    dims = [int(x) if isinstance(x, int) and not isinstance(x, bool) else None for x in size]
    steps = [int(x) if isinstance(x, int) and not isinstance(x, bool) else None for x in stride]
    if None in dims or None in steps or len(dims) != len(steps):
        raise ScanError(f"{what} has malformed sizes or strides")
    if any(d < 0 for d in dims) or any(s < 0 for s in steps):
        raise ScanError(f"{what} has a negative size or stride {tuple(dims)}/{tuple(steps)}")
    numel = math.prod(dims)
    if numel == 0:
        return
    if any(s == 0 and d > 1 for d, s in zip(dims, steps)):
        raise ScanError(f"{what} repeats its data (stride 0 over {tuple(dims)}), expanding a small file")
    if numel > storage_numel:
        raise ScanError(f"{what} of {numel} elements views a storage of {storage_numel}")
    last = offset + sum((d - 1) * s for d, s in zip(dims, steps))
    if last >= storage_numel:
        raise ScanError(f"{what} reaches element {last} of a storage of {storage_numel}")


class _ScanUnpickler(pickle.Unpickler):
    """Reads a torch pickle into stand-ins, recording storages and checking every tensor view."""

    def __init__(self, stream: IO[bytes], legacy: bool) -> None:
        super().__init__(stream)
        self.legacy = legacy
        self.storages: dict[str, _StorageRef] = {}
        self.tensors = 0

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return self._rebuild_tensor
        if module == "torch._utils" and name in ("_rebuild_parameter", "_rebuild_parameter_with_state"):
            return lambda data, *rest: data
        if module in ("torch", "torch.storage") and name in STORAGE_ITEMSIZE:
            return _StorageType(name, STORAGE_ITEMSIZE[name])
        return type(name[:60] or "stub", (_Stub,), {})

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid:
            raise ScanError("malformed persistent id")
        tag = pid[0].decode("ascii", "replace") if isinstance(pid[0], bytes) else pid[0]
        if tag == "module":
            return _Stub()
        if tag != "storage" or len(pid) < 5:
            raise ScanError(f"unknown persistent id {str(tag)[:40]!r}")
        storage_type, key, numel = pid[1], str(pid[2]), pid[4]
        if not isinstance(storage_type, _StorageType):
            raise ScanError("storage of an unknown type")
        if not isinstance(numel, int) or isinstance(numel, bool) or numel < 0:
            raise ScanError(f"storage {key[:40]} has a bad size {numel!r}"[:200])
        ref = self.storages.get(key)
        if ref is None:
            ref = self.storages[key] = _StorageRef(key, storage_type.itemsize, numel)
        if self.legacy and len(pid) > 5 and pid[5] is not None:  # a view of a root storage
            view = pid[5]
            if not (isinstance(view, tuple) and len(view) == 3):
                raise ScanError("malformed storage view")
            _, offset, size = view
            check_view(offset, (size,), (1,), ref.numel, f"storage view of {key[:40]}")
            return _StorageRef(key, ref.itemsize, size)
        return ref

    def _rebuild_tensor(self, storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> _Stub:
        if not isinstance(storage, _StorageRef):
            raise ScanError("tensor rebuilt from something that is not a storage")
        if not isinstance(size, (tuple, list)) or not isinstance(stride, (tuple, list)):
            raise ScanError("tensor sizes and strides must be tuples")
        self.tensors += 1
        if self.tensors > _MAX_TENSORS:
            raise ScanError(f"more than {_MAX_TENSORS} tensors")
        check_view(offset, size, stride, storage.numel)
        return _Stub()


def _scan_pickle(data: IO[bytes], legacy: bool) -> tuple[_ScanUnpickler, Any]:
    u = _ScanUnpickler(data, legacy)
    try:
        result = u.load()
    except ScanError:
        raise
    except RecursionError as e:
        raise ScanError("pickle is nested too deeply") from e
    except Exception as e:  # a malformed pickle: torch.load would fail too; say so in one line
        raise ScanError(f"its pickle is corrupt ({type(e).__name__}: {' '.join(str(e).split())[:120]})") from e
    return u, result


def _scan_zip(f: IO[bytes], size: int) -> None:
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ScanError(f"file is truncated or corrupt (not a readable zip archive: {e})") from e
    with zf:
        infos = zf.infolist()
        total = 0
        for info in infos:
            if info.compress_type != zipfile.ZIP_STORED and not expansion_ok(info.file_size, info.compress_size):
                raise ScanError(
                    f"member {info.filename[:80]!r} inflates from {size_text(info.compress_size)} to "
                    f"{size_text(info.file_size)} (more than {ZIP_MAX_RATIO:g}×)"
                )
            total += info.file_size
        if not expansion_ok(total, size, ZIP_MAX_RATIO, ZIP_SMALL_BYTES):
            raise ScanError(f"archive of {size_text(size)} unpacks to {size_text(total)}")
        pkl = [i for i in infos if i.filename == "data.pkl" or i.filename.endswith("/data.pkl")]
        if len(pkl) != 1:
            raise ScanError("not a PyTorch zip checkpoint (needs exactly one data.pkl)")
        if pkl[0].file_size > MAX_PICKLE_BYTES:
            raise ScanError(f"data.pkl is {size_text(pkl[0].file_size)}, more than {size_text(MAX_PICKLE_BYTES)}")
        prefix = pkl[0].filename[: -len("data.pkl")]
        records = {i.filename[len(prefix) :]: i.file_size for i in infos if i.filename.startswith(prefix)}
        try:
            with zf.open(pkl[0]) as stream:
                raw = stream.read(MAX_PICKLE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise ScanError(f"data.pkl cannot be read ({e})") from e
        u, _ = _scan_pickle(io.BytesIO(raw), legacy=False)
        for ref in u.storages.values():
            stored = records.get(f"data/{ref.key}")
            if stored is None:
                raise ScanError(f"storage {ref.key[:40]} has no data in the archive")
            if ref.numel * ref.itemsize != stored:
                raise ScanError(
                    f"storage {ref.key[:40]} declares {ref.numel * ref.itemsize} bytes but the archive holds {stored}"
                )


def _scan_legacy(f: IO[bytes], size: int) -> None:
    _, magic = _scan_pickle(f, legacy=True)
    if magic != _LEGACY_MAGIC:
        raise ScanError("not a PyTorch file (no legacy magic number)")
    _scan_pickle(f, legacy=True)  # protocol version
    _scan_pickle(f, legacy=True)  # system info
    u, _ = _scan_pickle(f, legacy=True)  # the object, with the storages it declares
    _scan_pickle(f, legacy=True)  # the storage keys; the storages' bytes follow
    declared = sum(ref.numel * ref.itemsize for ref in u.storages.values())
    remaining = size - f.tell()
    if declared + 8 * len(u.storages) > remaining:
        raise ScanError(f"declares {size_text(declared)} of tensor data but only {size_text(max(remaining, 0))} follow")


def scan_stream(f: IO[bytes], size: int) -> None:
    """Check a torch file given as a seekable binary stream of ``size`` bytes (raises ScanError)."""
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    if head == b"PK\x03\x04":
        _scan_zip(f, size)
    else:
        _scan_legacy(f, size)
    f.seek(start)


def scan_torch_file(path: str | Path) -> None:
    """Check ``path`` (a zip or legacy torch file) before ``torch.load``; :class:`CheckpointError`."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            size = f.seek(0, io.SEEK_END)
            f.seek(0)
            scan_stream(f, size)
    except ScanError as e:
        raise CheckpointError(p, f"refused: {e}") from None
    except OSError as e:
        raise CheckpointError(p, f"cannot read file ({e.strerror or e})") from e


def scan_torch_bytes(data: bytes) -> None:
    """Check a torch file held in memory (a nested storage in an NVlabs pickle); raises ScanError."""
    scan_stream(io.BytesIO(data), len(data))


def _tensors(obj: Any, depth: int = 0) -> Iterator[torch.Tensor]:
    if depth > 64:
        return
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, Mapping):
        for v in obj.values():
            yield from _tensors(v, depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from _tensors(v, depth + 1)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        yield from _tensors(vars(obj), depth + 1)


def check_tensors(obj: Any, path: str | Path) -> None:
    """Refuse loaded tensors that are not plain CPU views within their storage (see :func:`check_view`)."""
    for t in _tensors(obj):
        if t.is_meta or t.layout != torch.strided:
            raise CheckpointError(path, "refused: holds a tensor without data (meta or sparse)")
        try:
            storage_numel = t.untyped_storage().nbytes() // max(t.element_size(), 1)
            check_view(t.storage_offset(), tuple(t.shape), t.stride(), storage_numel)
        except ScanError as e:
            raise CheckpointError(path, f"refused: {e}") from None


__all__ = ["STORAGE_ITEMSIZE", "ScanError", "check_tensors", "check_view", "scan_torch_bytes", "scan_torch_file"]
