"""Reading a raw network pickle without reading its tensors: they are located, and read on demand.

An NVlabs snapshot holds G, D and G_ema (and sometimes an augmentation pipe); the explorer needs only
G_ema, a third of the file. :func:`load_pickle_lazy` unpickles the structure with the same
allow-list as :func:`engine.checkpoints.safe_unpickle.load_pickle` (nothing from the file is executed),
but a large ``bytes`` value — each storage is a nested legacy ``torch.save`` in
``torch.storage._load_from_bytes`` — is not read: the reader notes where it is in the file and skips
it. Its storage header is parsed (a few hundred bytes, through its own allow-list) and the tensors
built on it are :class:`LazyTensor` placeholders that know their file offset, dtype, size and stride.
:meth:`LazyTensor.materialize` reads one straight from the file into a new tensor: one copy, only
for the tensors a loader uses. Small values are read as usual.

If the file changes on disk between the two steps (size or modification time), reading a tensor
raises :class:`~engine.checkpoints.errors.CheckpointError`.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints import safe_unpickle as su
from engine.checkpoints.errors import CheckpointError

log = logging.getLogger(__name__)

_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

DEFER_BYTES = 64 * 1024
"""``bytes`` values at least this long are located, not read."""

_STORAGE_DTYPES: dict[str, torch.dtype] = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


@dataclass(frozen=True)
class _Source:
    """The file the placeholders read from, with the size and mtime it had when it was unpickled."""

    path: Path
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> _Source:
        st = os.stat(path)
        return cls(path, st.st_size, st.st_mtime_ns)

    def read_into(self, offset: int, buf: memoryview) -> None:
        st = os.stat(self.path)
        if (st.st_size, st.st_mtime_ns) != (self.size, self.mtime_ns):
            raise CheckpointError(self.path, "the file changed on disk while it was being loaded")
        with open(self.path, "rb", buffering=0) as f:
            f.seek(offset)
            view, done = buf.cast("B"), 0
            while done < len(view):
                n = f.readinto(view[done:])
                if not n:
                    raise CheckpointError(self.path, "file is truncated (a tensor runs past its end)")
                done += n

    def read(self, offset: int, n: int) -> bytes:
        buf = bytearray(n)
        self.read_into(offset, memoryview(buf))
        return bytes(buf)


@dataclass(frozen=True)
class _Deferred:
    """A large ``bytes`` value left in the file: ``length`` bytes at ``offset``."""

    source: _Source
    offset: int
    length: int


@dataclass(frozen=True)
class LazyStorage:
    """A typed storage: ``numel`` elements of ``dtype`` from byte ``offset`` of the file, or of ``data``
    (a small storage the unpickler read anyway)."""

    source: _Source
    offset: int
    dtype: torch.dtype
    numel: int
    data: bytes | None = None

    def read_into(self, offset: int, buf: memoryview) -> None:
        if self.data is None:
            self.source.read_into(self.offset + offset, buf)
        else:
            view = buf.cast("B")
            view[:] = self.data[self.offset + offset : self.offset + offset + len(view)]


class LazyTensor:
    """A tensor of a lazily read pickle: its storage in the file, offset, size and stride (elements)."""

    def __init__(self, storage: LazyStorage, storage_offset: int, size: tuple[int, ...], stride: tuple[int, ...]):
        if len(size) != len(stride) or any(s < 0 for s in size) or any(s < 0 for s in stride):
            raise pickle.UnpicklingError("tensor size and stride do not match")
        extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
        if storage_offset < 0 or storage_offset + extent > storage.numel:
            raise pickle.UnpicklingError("tensor runs past the end of its storage")
        self.storage = storage
        self.storage_offset = storage_offset
        self.shape = torch.Size(size)
        self.stride_ = tuple(stride)
        self.extent = extent

    @property
    def dtype(self) -> torch.dtype:
        return self.storage.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def numel(self) -> int:
        return self.shape.numel()

    def materialize(self) -> torch.Tensor:
        """Read the tensor from the file into a new (CPU) tensor."""
        dtype = self.dtype
        buf = torch.empty(self.extent, dtype=dtype)
        if self.extent:
            item = buf.element_size()
            raw = memoryview(buf.view(torch.uint8).numpy())
            self.storage.read_into(self.storage_offset * item, raw)
        return buf.as_strided(tuple(self.shape), self.stride_)

    def __repr__(self) -> str:
        return f"LazyTensor({tuple(self.shape)}, {self.dtype})"


def materialize(x: Any) -> Any:
    """``x`` itself, or the tensor a :class:`LazyTensor` stands for."""
    return x.materialize() if isinstance(x, LazyTensor) else x


# --- the storage header of a nested legacy torch.save -----------------------------------------------
class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = _STORAGE_DTYPES[name]


class _HeaderUnpickler(pickle.Unpickler):
    """The header pickles of a legacy ``torch.save`` of one storage: only ``torch.<X>Storage`` names."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise su.RefusedGlobalError(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError("unexpected persistent id in a storage")
        numel = pid[4]
        if not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError("storage size must be a non-negative int")
        return ("storage", pid[1].dtype, numel)


def _storage_of(blob: _Deferred | bytes, source: _Source) -> LazyStorage:
    """Parse the legacy ``torch.save`` header of a storage blob; its data stays where it is (in the
    file, or in the bytes read)."""
    if isinstance(blob, bytes):
        data: bytes | None = blob
        blob = _Deferred(source, 0, len(data))
        head = data
    else:
        data = None
        head = blob.source.read(blob.offset, min(blob.length, 4096))
    bio = io.BytesIO(head)
    try:
        magic = _HeaderUnpickler(bio).load()
        _HeaderUnpickler(bio).load()  # protocol version
        sys_info = _HeaderUnpickler(bio).load()
        obj = _HeaderUnpickler(bio).load()
        keys = _HeaderUnpickler(bio).load()
        (numel,) = struct.unpack("<q", bio.read(8))
    except (EOFError, struct.error) as e:
        raise pickle.UnpicklingError("storage header is longer than expected") from e
    if magic != 0x1950A86A20F9469CFC6C or not isinstance(sys_info, dict) or not sys_info.get("little_endian", True):
        raise pickle.UnpicklingError("a storage is not a little-endian legacy torch.save")
    if not (isinstance(obj, tuple) and obj[0] == "storage") or not isinstance(keys, list) or len(keys) != 1:
        raise pickle.UnpicklingError("a nested torch.save does not hold exactly one storage")
    _, dtype, declared = obj
    itemsize = torch.empty(0, dtype=dtype).element_size()
    start = blob.offset + bio.tell()
    if numel != declared or start + numel * itemsize > blob.offset + blob.length:
        raise pickle.UnpicklingError("storage size does not match its data")
    return LazyStorage(blob.source, start, dtype, numel, data)


# --- replacements of the tensor globals ----------------------------------------------------------------
def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any) -> Any:
    if not isinstance(storage, LazyStorage):
        return su._rebuild_tensor(storage, storage_offset, size, stride)
    if not isinstance(storage_offset, int):
        raise pickle.UnpicklingError("tensor storage offset must be an int")
    return LazyTensor(storage, storage_offset, su._int_tuple(size, "size"), su._int_tuple(stride, "stride"))


def _rebuild_tensor_v2(storage: Any, storage_offset: Any, size: Any, stride: Any, *_ignored: Any) -> Any:
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data: Any, *_ignored: Any) -> Any:
    return data if isinstance(data, LazyTensor) else su._rebuild_parameter(data)


_LAZY = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class LazyUnpickler(pickle._Unpickler):  # type: ignore[name-defined,misc]
    """The allow-listed unpickler (same globals as :class:`~engine.checkpoints.safe_unpickle.SafeUnpickler`)
    in its pure-Python form, which lets large ``bytes`` values be located instead of read."""

    dispatch = dict(pickle._Unpickler.dispatch)  # type: ignore[attr-defined]

    def __init__(self, file: io.BufferedReader, source: _Source) -> None:
        super().__init__(file)
        self._raw = file
        self._source = source

    def _load_from_bytes(self, b: Any) -> Any:
        """``torch.storage._load_from_bytes``: a storage whose data stays where it is."""
        if isinstance(b, _Deferred):
            return _storage_of(b, self._source)
        if isinstance(b, bytes) and b.startswith(_LEGACY_MAGIC):
            try:
                return _storage_of(b, self._source)
            except su.RefusedGlobalError:
                pass  # not a bare storage: the eager reader decides (and checks sizes declared against held)
        return su._load_from_bytes(b)

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key == ("torch.storage", "_load_from_bytes"):
            return self._load_from_bytes
        if key in _LAZY:
            return _LAZY[key]
        try:
            return su.ALLOWED_GLOBALS[key]
        except KeyError:
            raise su.RefusedGlobalError(module, name) from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed in a raw pickle")

    def _in_frame(self) -> bool:
        frame = self._unframer.current_frame
        if frame is None:
            return False
        pos = frame.tell()
        end = frame.seek(0, io.SEEK_END)
        frame.seek(pos)
        return pos < end

    def _bytes(self, n: int) -> None:
        if n >= DEFER_BYTES and not self._in_frame():
            offset = self._raw.tell()
            if offset + n > self._source.size:
                raise EOFError("bytes run past the end of the file")
            self._raw.seek(n, io.SEEK_CUR)
            self.append(_Deferred(self._source, offset, n))
        else:
            data = self.read(n)
            if len(data) != n:
                raise EOFError("unexpected end of data")
            self.append(data)

    def load_binbytes(self) -> None:
        (n,) = struct.unpack("<I", self.read(4))
        self._bytes(n)

    def load_binbytes8(self) -> None:
        (n,) = struct.unpack("<Q", self.read(8))
        self._bytes(n)

    dispatch[pickle.BINBYTES[0]] = load_binbytes
    dispatch[pickle.BINBYTES8[0]] = load_binbytes8


def load_pickle_lazy(path: str | Path) -> Any:
    """:func:`~engine.checkpoints.safe_unpickle.load_pickle` with the tensors left in the file as
    :class:`LazyTensor` placeholders; CheckpointError on anything refused, corrupt or truncated."""
    p = Path(path)
    try:
        source = _Source.of(p)
        with open(p, "rb") as f:
            return LazyUnpickler(f, source).load()
    except OSError as e:
        raise CheckpointError(p, f"cannot read file ({e.strerror or e})") from e
    except su.RefusedGlobalError as e:
        log.info("refused global %s while reading %s", e.global_name, p)
        raise CheckpointError(p, su._reason(e)) from e
    except CheckpointError:
        raise
    except Exception as e:  # corrupt data surfaces as many exception types
        raise CheckpointError(p, su._reason(e)) from e


__all__ = ["DEFER_BYTES", "LazyStorage", "LazyTensor", "LazyUnpickler", "load_pickle_lazy", "materialize"]
