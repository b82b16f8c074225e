"""Reading pickles without running their code: an allow-listed unpickler and a guarded ``torch.load``.

Two containers reach us from other code bases:

* **Raw pickles** (NVlabs ``network-snapshot-*.pkl``). They are read by :class:`SafeUnpickler`,
  whose ``find_class`` resolves only the globals in :data:`ALLOWED_GLOBALS`; every other global
  raises :class:`RefusedGlobalError` naming it. NVlabs' persistent classes are rebuilt as inert
  :class:`PersistentObject` stand-ins holding ``class_name`` and ``state``; the embedded
  ``module_src`` is never compiled or executed. Small numpy arrays (StyleGAN3 keeps sizes in
  them) are rebuilt as :class:`NumericArray` only when their dtype is plain numeric; object
  arrays, whose elements are arbitrary pickled objects, are refused.
* **PyTorch files** (zip or legacy container). They are read by ``torch.load(weights_only=True)``
  with a few extra globals allowed through ``torch.serialization.safe_globals``: plain attribute
  bags such as ``argparse.Namespace`` (rosinality's train.py) and GAN zoo's ``BaseConfig``, which
  is mapped to the inert :class:`ConfigStandIn`.

Both functions raise :class:`~engine.checkpoints.errors.CheckpointError` with a one-line reason
for refused, corrupt or truncated content.
"""

from __future__ import annotations

import _codecs
import argparse
import collections
import io
import logging
import math
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.torch_scan import ScanError, check_tensors, check_view, scan_torch_bytes, scan_torch_file

log = logging.getLogger(__name__)


class RefusedGlobalError(pickle.UnpicklingError):
    """A pickle asked for a global that is not on the allow-list."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self.global_name = f"{module}.{name}"
        super().__init__(f"refused global {self.global_name} (not on LatentLab's allow-list)")


class PersistentObject:
    """Inert stand-in for an object pickled by NVlabs' ``torch_utils.persistence``.

    Holds the class name and the pickled ``__dict__`` (``state``); the class itself, whose source
    is embedded in the pickle, is never rebuilt.
    """

    def __init__(self, class_name: str, state: dict[str, Any], version: int | None = None) -> None:
        self.class_name = class_name
        self.state = state
        self.version = version

    def __repr__(self) -> str:
        return f"PersistentObject({self.class_name!r})"


class EasyDictStandIn(dict):
    """Stand-in for ``dnnlib.util.EasyDict``: a dict that also allows attribute reads."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class ConfigStandIn:
    """Inert attribute bag standing in for foreign config classes (e.g. GAN zoo's ``BaseConfig``)."""

    def __repr__(self) -> str:
        return f"ConfigStandIn({vars(self)!r})"


# --- safe replacements for the globals NVlabs pickles use ----------------------------------


def _reconstruct_persistent_obj(meta: Any) -> PersistentObject:
    """Replacement for ``torch_utils.persistence._reconstruct_persistent_obj``: never executes source."""
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("class_name"), str):
        raise pickle.UnpicklingError("malformed torch_utils.persistence object")
    state = meta.get("state")
    if state is None:
        state = {}
    if not isinstance(state, dict):
        raise pickle.UnpicklingError(f"persistent {meta['class_name']} has a non-dict state")
    return PersistentObject(meta["class_name"], state, meta.get("version"))


def _check_storage(storage: Any) -> None:
    if not isinstance(storage, (torch.storage.TypedStorage, torch.UntypedStorage)):
        raise pickle.UnpicklingError(f"tensor rebuilt from a {type(storage).__name__}, not a storage")


def _int_tuple(x: Any, what: str) -> tuple[int, ...]:
    if isinstance(x, torch.Size):
        return tuple(x)
    if not isinstance(x, (tuple, list)) or not all(isinstance(i, int) and not isinstance(i, bool) for i in x):
        raise pickle.UnpicklingError(f"tensor {what} must be a tuple of ints")
    return tuple(x)


def _storage_numel(storage: Any) -> int:
    if isinstance(storage, torch.storage.TypedStorage):  # elements of its dtype (no deprecated accessors)
        return storage._untyped_storage.nbytes() // torch._utils._element_size(storage.dtype)
    return storage.nbytes()


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any) -> torch.Tensor:
    """Replacement for ``torch._utils._rebuild_tensor`` with type checks (torch checks the bounds)."""
    _check_storage(storage)
    if not isinstance(storage_offset, int):
        raise pickle.UnpicklingError("tensor storage offset must be an int")
    check_view(storage_offset, _int_tuple(size, "size"), _int_tuple(stride, "stride"), _storage_numel(storage))
    return torch._utils._rebuild_tensor(storage, storage_offset, _int_tuple(size, "size"), _int_tuple(stride, "stride"))


def _rebuild_tensor_v2(
    storage: Any, storage_offset: Any, size: Any, stride: Any, requires_grad: Any = False, *_ignored: Any
) -> torch.Tensor:
    """Replacement for ``torch._utils._rebuild_tensor_v2``; hooks and metadata are dropped."""
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data: Any, requires_grad: Any = False, *_ignored: Any) -> torch.Tensor:
    """Replacement for ``torch._utils._rebuild_parameter``: the plain tensor (hooks are dropped)."""
    if not isinstance(data, torch.Tensor):
        raise pickle.UnpicklingError("parameter rebuilt from a non-tensor")
    return data.detach()


def _load_from_bytes(b: Any) -> Any:
    """Replacement for ``torch.storage._load_from_bytes``: a weights-only load of the nested file."""
    if not isinstance(b, (bytes, bytearray)):
        raise pickle.UnpicklingError("storage bytes expected")
    scan_torch_bytes(bytes(b))  # declared sizes vs the bytes present, before torch allocates
    storage = torch.load(io.BytesIO(b), weights_only=True, map_location="cpu")
    _check_storage(storage)
    return storage


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    """Replacement for ``numpy.core.multiarray.scalar``: plain-data dtypes only."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise pickle.UnpicklingError("numpy scalar of an object dtype or without raw bytes")
    if len(data) != dtype.itemsize:
        raise pickle.UnpicklingError("numpy scalar bytes do not match its dtype")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


#: dtype kinds a pickled array may have: bool, signed/unsigned int, float, complex.
NUMERIC_KINDS = "biufc"


def _check_numeric_dtype(dtype: Any, what: str) -> np.dtype:
    if not isinstance(dtype, np.dtype):
        raise pickle.UnpicklingError(f"{what} without a numpy dtype")
    if dtype.hasobject or dtype.kind not in NUMERIC_KINDS or dtype.names is not None or dtype.subdtype is not None:
        raise pickle.UnpicklingError(f"{what} of dtype {dtype} refused (only plain numeric dtypes, no object dtype)")
    return dtype


class NumericArray(np.ndarray):
    """A numpy array rebuilt from a pickle: its ``__setstate__`` accepts plain numeric data only.

    Pickled arrays are ``_reconstruct(ndarray, (0,), b'b')`` followed by BUILD with the state
    ``(version, shape, dtype, is_fortran, raw bytes)``. Object arrays carry a list instead of bytes
    (their elements are arbitrary pickled objects); they, and any non-numeric dtype, are refused.
    ``np.asarray`` turns one into a plain ``ndarray``.
    """

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise pickle.UnpicklingError("malformed numpy array state")
        if len(state) == 5:
            version, *rest = state
            if version != 1:
                raise pickle.UnpicklingError(f"numpy array state version {version!r} is not supported")
        else:
            rest = list(state)
        shape, dtype, is_fortran, raw = rest
        dtype = _check_numeric_dtype(dtype, "numpy array")
        shape = _int_tuple(shape, "shape")
        if any(d < 0 for d in shape) or not isinstance(is_fortran, bool):
            raise pickle.UnpicklingError("malformed numpy array shape or order")
        if not isinstance(raw, (bytes, bytearray)):
            raise pickle.UnpicklingError("numpy array without raw bytes (object arrays are refused)")
        if len(raw) != math.prod(shape) * dtype.itemsize:  # Python ints: no overflow
            raise pickle.UnpicklingError("numpy array bytes do not match its shape and dtype")
        super().__setstate__((1, shape, dtype, is_fortran, bytes(raw)))


def _ndarray_token(*_args: Any, **_kwargs: Any) -> Any:
    """What ``numpy.ndarray`` resolves to: usable only as ``_reconstruct``'s first argument."""
    raise pickle.UnpicklingError("numpy.ndarray may only be rebuilt through _reconstruct")


def _numpy_reconstruct(subtype: Any, shape: Any, typecode: Any) -> NumericArray:
    """Replacement for ``numpy.core.multiarray._reconstruct``: an empty :class:`NumericArray`
    whose state (set by the pickle's BUILD) is checked before any data is accepted."""
    if subtype is not _ndarray_token or shape != (0,) or typecode != b"b":
        raise pickle.UnpicklingError("numpy _reconstruct is allowed for plain ndarrays only")
    return np.ndarray.__new__(NumericArray, (0,), dtype="b")


def _codecs_encode(text: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """Replacement for ``_codecs.encode``, used by protocol-2 pickles for bytes (latin-1 only)."""
    if not isinstance(text, str) or encoding.lower().replace("_", "-") not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("only latin-1 encoding of str is allowed")
    return _codecs.encode(text, "latin1", "strict")


#: (module, name) → the object ``find_class`` returns. Nothing else resolves.
ALLOWED_GLOBALS: dict[tuple[str, str], Callable[..., Any] | type] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch.storage", "_load_from_bytes"): _load_from_bytes,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy", "dtype"): np.dtype,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): _ndarray_token,
    ("dnnlib.util", "EasyDict"): EasyDictStandIn,
    ("dnnlib", "EasyDict"): EasyDictStandIn,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "set"): set,  # protocol-2 pickles name builtins the Python 2 way
    ("__builtin__", "frozenset"): frozenset,
    ("_codecs", "encode"): _codecs_encode,
}


class SafeUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only :data:`ALLOWED_GLOBALS`; persistent ids are refused."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise RefusedGlobalError(module, name) from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed in a raw pickle")


def safe_unpickle(stream: IO[bytes]) -> Any:
    """Unpickle ``stream`` with :class:`SafeUnpickler` (raises ``pickle.UnpicklingError`` subclasses)."""
    return SafeUnpickler(stream).load()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RefusedGlobalError) and exc.module.startswith("dnnlib.tflib"):
        return (
            f"TensorFlow StyleGAN pickle ({exc.global_name}); LatentLab reads PyTorch pickles only — "
            "convert it with legacy.py from NVlabs' stylegan2-ada-pytorch first"
        )
    if isinstance(exc, RefusedGlobalError):
        return f"{exc} — the file may be malicious, or it is a kind of pickle LatentLab does not read"
    if isinstance(exc, EOFError):
        return "file is truncated (unexpected end of data)"
    if isinstance(exc, ScanError):
        return f"refused: {exc}"
    text = " ".join(str(exc).split())
    return f"file is corrupt or not a readable checkpoint ({type(exc).__name__}: {text[:200]})"


def load_pickle(path: str | Path) -> Any:
    """Read a raw pickle file with the allow-listed unpickler; CheckpointError on anything refused."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            return safe_unpickle(f)
    except OSError as e:
        raise CheckpointError(p, f"cannot read file ({e.strerror or e})") from e
    except RefusedGlobalError as e:
        log.info("refused global %s while reading %s", e.global_name, p)
        raise CheckpointError(p, _reason(e)) from e
    except Exception as e:  # corrupt data surfaces as many exception types
        raise CheckpointError(p, _reason(e)) from e


#: Extra globals allowed in ``torch.load(weights_only=True)``: plain attribute bags only.
TORCH_EXTRA_GLOBALS: list[Any] = [
    argparse.Namespace,
    (ConfigStandIn, "models.utils.config.BaseConfig"),
]

_UNSUPPORTED_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")
_BOILERPLATE = (
    "weights only load failed",
    "weights_only",
    "documentation",
    "file an issue",
    "trust the source",
)


def _weights_only_detail(text: str) -> str:
    """The informative part of torch's weights-only error (its advice to disable safety is dropped)."""
    text = text.split("WeightsUnpickler error:")[-1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    kept = [ln for ln in lines if not any(b in ln.lower() for b in _BOILERPLATE)]
    return " ".join(kept)[:200] or "unsupported content"


def load_torch(path: str | Path) -> Any:
    """``torch.load`` a zip or legacy PyTorch file weights-only (plus :data:`TORCH_EXTRA_GLOBALS`)."""
    p = Path(path)
    scan_torch_file(p)  # structure and sizes first: nothing is allocated for a hostile file
    try:
        with torch.serialization.safe_globals(TORCH_EXTRA_GLOBALS):
            obj = torch.load(p, map_location="cpu", weights_only=True)
        check_tensors(obj, p)
        return obj
    except CheckpointError:
        raise
    except OSError as e:
        raise CheckpointError(p, f"cannot read file ({e.strerror or e})") from e
    except pickle.UnpicklingError as e:
        m = _UNSUPPORTED_GLOBAL.search(str(e))
        if m:
            log.info("refused global %s while reading %s", m.group(1), p)
            raise CheckpointError(
                p,
                f"refused global {m.group(1)} (not on LatentLab's allow-list) — the file may be malicious, "
                "or it holds objects LatentLab does not read",
            ) from e
        if "Weights only load failed" in str(e):
            raise CheckpointError(
                p, f"content refused by the weights-only loader ({_weights_only_detail(str(e))})"
            ) from e
        raise CheckpointError(p, _reason(e)) from e
    except Exception as e:  # zip reader, legacy reader and tensor rebuild errors
        raise CheckpointError(p, _reason(e)) from e


__all__ = [
    "ALLOWED_GLOBALS",
    "ConfigStandIn",
    "EasyDictStandIn",
    "NumericArray",
    "PersistentObject",
    "RefusedGlobalError",
    "SafeUnpickler",
    "TORCH_EXTRA_GLOBALS",
    "load_pickle",
    "load_torch",
    "safe_unpickle",
]
