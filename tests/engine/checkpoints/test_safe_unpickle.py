"""The restricted unpickler and guarded torch.load: malicious, corrupt and foreign content."""

from __future__ import annotations

import argparse
import builtins
import collections
import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.checkpoints.gan_zoo import load
from engine.checkpoints.loader import load_model
from engine.checkpoints.safe_unpickle import (
    ConfigStandIn,
    EasyDictStandIn,
    NumericArray,
    PersistentObject,
    RefusedGlobalError,
    load_torch,
    safe_unpickle,
)
from engine.checkpoints.sniff import PICKLE, TORCH_LEGACY, TORCH_ZIP, sniff

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"parity fixtures not found at {FIXTURES}")


class SystemCall:
    """Unpickling this runs a shell command (with an unsafe unpickler)."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return os.system, (f"touch {self.target}",)


class ExecCall:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return builtins.exec, (f"open({str(self.target)!r}, 'w').close()",)


class OpenCall:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return builtins.open, (str(self.target), "w")


PAYLOADS = [SystemCall, ExecCall, OpenCall]


def _torch_zip_by_hand(path: Path, payload: bytes) -> None:
    """A torch zip container written with the standard library only."""
    stem = path.stem
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{stem}/data.pkl", payload)
        zf.writestr(f"{stem}/byteorder", "little")
        zf.writestr(f"{stem}/version", "3\n")


@pytest.mark.parametrize("payload_cls", PAYLOADS, ids=lambda c: c.__name__)
def test_malicious_files_are_refused(tmp_path: Path, payload_cls: type) -> None:
    pwned = tmp_path / "pwned"
    evil = payload_cls(pwned)
    payload = pickle.dumps({"G_ema": evil, "g_ema": evil}, protocol=4)

    raw = tmp_path / "evil.pkl"
    raw.write_bytes(payload)
    zipped = tmp_path / "evil_zip.pt"
    torch.save({"g_ema": evil}, zipped)
    by_hand = tmp_path / "evil_hand.pt"
    _torch_zip_by_hand(by_hand, pickle.dumps({"g_ema": evil}, protocol=2))  # torch reads protocol ≤ 3
    legacy = tmp_path / "evil_legacy.pt"
    torch.save({"g_ema": evil}, legacy, _use_new_zipfile_serialization=False)

    assert [sniff(p) for p in (raw, zipped, by_hand, legacy)] == [PICKLE, TORCH_ZIP, TORCH_ZIP, TORCH_LEGACY]
    for path in (raw, zipped, by_hand, legacy):
        with pytest.raises(CheckpointError, match="refused global") as info:
            load_model(path)
        assert path.name in str(info.value)
        assert not pwned.exists(), f"{path.name} ran its payload"


def test_refused_global_is_named() -> None:
    with pytest.raises(RefusedGlobalError) as info:
        safe_unpickle(io.BytesIO(pickle.dumps(SystemCall(Path("x")))))
    assert info.value.global_name in ("posix.system", "os.system", "nt.system")


def _persistent_pickle(meta: dict[str, Any]) -> bytes:
    """A protocol-2 pickle calling torch_utils.persistence._reconstruct_persistent_obj(meta)."""
    body = pickle.dumps(meta, protocol=2)[2:-1]  # strip PROTO and STOP
    return b"\x80\x02ctorch_utils.persistence\n_reconstruct_persistent_obj\n" + body + b"\x85R."


def test_persistent_objects_never_run_embedded_source(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    src = f"open({str(pwned)!r}, 'w').close()\nclass Generator: pass\n"
    meta = {
        "type": "class",
        "version": 6,
        "module_src": src,
        "class_name": "Generator",
        "state": {"z_dim": 4},
    }
    obj = safe_unpickle(io.BytesIO(_persistent_pickle(meta)))
    assert isinstance(obj, PersistentObject)
    assert obj.class_name == "Generator" and obj.state == {"z_dim": 4}
    assert not pwned.exists()
    path = tmp_path / "fake_snapshot.pkl"
    path.write_bytes(_persistent_pickle(meta))
    with pytest.raises(CheckpointError):  # a Generator stand-in without networks is no model
        load_model(path)
    assert not pwned.exists()


def test_allowed_globals_round_trip() -> None:
    data = {
        "od": collections.OrderedDict(a=1),
        "set": {1, 2},
        "np": np.float64(1.5),
        "dtype": np.dtype("float32"),
        "t": torch.arange(6.0).reshape(2, 3)[:, 1:],
        "p": torch.nn.Parameter(torch.ones(3)),
        "bytes": b"\x00\xffabc",
    }
    for protocol in (2, 3, 4, 5):
        out = safe_unpickle(io.BytesIO(pickle.dumps(data, protocol=protocol)))
        assert out["od"] == data["od"] and out["set"] == {1, 2} and out["bytes"] == data["bytes"]
        assert out["np"] == 1.5 and isinstance(out["np"], np.float64)
        assert out["dtype"] == np.dtype("float32")
        assert torch.equal(out["t"], data["t"]) and torch.equal(out["p"], torch.ones(3))


def test_numpy_object_scalars_are_refused() -> None:
    def body(obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=3)[2:-1]  # strip PROTO and STOP

    call = b"\x80\x03cnumpy.core.multiarray\nscalar\n" + body(np.dtype("O")) + body(b"\x00" * 8) + b"\x86R."
    with pytest.raises(pickle.UnpicklingError, match="object dtype"):
        safe_unpickle(io.BytesIO(call))
    ok = b"\x80\x03cnumpy.core.multiarray\nscalar\n" + body(np.dtype("f8")) + body(np.float64(2.5).tobytes())
    assert safe_unpickle(io.BytesIO(ok + b"\x86R.")) == 2.5


def test_easydict_stand_in() -> None:
    payload = b"\x80\x02cdnnlib.util\nEasyDict\n)\x81X\x01\x00\x00\x00aK\x01s."
    out = safe_unpickle(io.BytesIO(payload))
    assert isinstance(out, EasyDictStandIn) and out.a == 1 and out == {"a": 1}


def test_torch_extra_globals(tmp_path: Path) -> None:
    path = tmp_path / "ns.pt"
    torch.save({"args": argparse.Namespace(size=64, lr_mlp=0.02), "w": torch.ones(2)}, path)
    out = load_torch(path)
    assert out["args"].size == 64 and out["args"].lr_mlp == 0.02


@needs_fixtures
def test_gan_zoo_config_uses_stand_in_and_pgan_loads() -> None:
    path = FIXTURES / "pytorch_gan_zoo" / "pgan_small.pth"
    obj = load_torch(path)
    assert isinstance(obj["config"], ConfigStandIn) and obj["config"].depthScale0 == 64
    model = load_model(path)
    assert model.family == "pggan" and model.capabilities.progressive.levels == (4, 8, 16, 32)
    obj["config"].categoryVectorDim = 3
    with pytest.raises(CheckpointError, match="conditional GAN zoo PGAN"):
        load(path, obj)


@needs_fixtures
def test_legacy_container_reads() -> None:
    path = FIXTURES / "stargan" / "200000-G_legacy_format.ckpt"
    assert sniff(path) == TORCH_LEGACY
    assert "main.0.weight" in load_torch(path)
    assert load_model(path).family == "stargan"


def _truncations(src: Path, tmp_path: Path) -> list[Path]:
    data = src.read_bytes()
    out = []
    for frac in (0.02, 0.5, 0.97):
        p = tmp_path / f"{src.stem}_{int(frac * 100)}{src.suffix}"
        p.write_bytes(data[: int(len(data) * frac)])
        out.append(p)
    flipped = bytearray(data)
    for i in range(200, len(flipped), 997):
        flipped[i] ^= 0x5A
    p = tmp_path / f"{src.stem}_flipped{src.suffix}"
    p.write_bytes(bytes(flipped))
    out.append(p)
    return out


@needs_fixtures
@pytest.mark.parametrize(
    "rel",
    [
        "nvlabs_stylegan2_ada/stylegan2ada_cond10_res32.pkl",
        "rosinality_stylegan2/stylegan2_rosinality_g_ema.pt",
        "stargan/200000-G_legacy_format.ckpt",
    ],
)
def test_corrupt_and_truncated_files(tmp_path: Path, rel: str) -> None:
    for p in _truncations(FIXTURES / rel, tmp_path):
        with pytest.raises(CheckpointError):
            load_model(p)


def test_garbage_and_empty_files(tmp_path: Path) -> None:
    for name, content in (("empty.pt", b""), ("text.pkl", b"hello world, not a pickle"), ("zip.pt", b"")):
        p = tmp_path / name
        p.write_bytes(content)
    with zipfile.ZipFile(tmp_path / "zip.pt", "w") as zf:
        zf.writestr("readme.txt", "no data.pkl here")
    for name in ("empty.pt", "text.pkl", "zip.pt"):
        with pytest.raises(CheckpointError):
            load_model(tmp_path / name)


def test_tensorflow_pickles_get_a_helpful_reason(tmp_path: Path) -> None:
    path = tmp_path / "stylegan2-ffhq-config-f.pkl"
    path.write_bytes(b"\x80\x03cdnnlib.tflib.network\nNetwork\n)\x81.")
    with pytest.raises(CheckpointError, match="TensorFlow StyleGAN pickle"):
        load_model(path)


def _body(obj: Any) -> bytes:
    """The protocol-3 opcodes of ``obj`` without PROTO and STOP (to splice into hand-made pickles)."""
    return pickle.dumps(obj, protocol=3)[2:-1]


@pytest.mark.parametrize("module", ["numpy._core.multiarray", "numpy.core.multiarray"])
def test_numeric_numpy_arrays_round_trip(module: str) -> None:
    arrays = [
        np.array([36, 36], dtype=np.int64),
        np.arange(12, dtype=np.float32).reshape(3, 4),
        np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
        np.array([True, False]),
        np.array([1 + 2j], dtype=np.complex64),
        np.zeros((0, 3), dtype=np.uint8),
        np.array(7, dtype=np.int16),
    ]
    for protocol in (3, 4):
        if module == "numpy.core.multiarray" and protocol == 4:
            continue  # protocol 4 names globals with length-prefixed strings; protocol 3 as text lines
        data = pickle.dumps({"a": arrays}, protocol=protocol).replace(b"numpy._core.multiarray", module.encode())
        out = safe_unpickle(io.BytesIO(data))["a"]
        for a, b in zip(arrays, out):
            assert isinstance(b, NumericArray) and isinstance(b, np.ndarray)
            assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)
            assert type(np.asarray(b)) is np.ndarray


def _array_pickle(state: bytes, module: bytes = b"numpy._core.multiarray") -> bytes:
    """``_reconstruct(ndarray, (0,), b'b')`` followed by BUILD with the pickled ``state`` (protocol 3)."""
    return (
        b"\x80\x03c" + module + b"\n_reconstruct\ncnumpy\nndarray\n"
        + _body((0,)) + _body(b"b") + b"\x87R" + state + b"b."
    )  # fmt: skip


def test_numpy_object_arrays_are_refused(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    # A real object array whose element would run a shell command when unpickled unsafely.
    evil = np.array([SystemCall(pwned), 1], dtype=object)
    for protocol in (2, 3, 4):
        with pytest.raises(pickle.UnpicklingError):
            safe_unpickle(io.BytesIO(pickle.dumps(evil, protocol=protocol)))
    assert not pwned.exists()
    # Object dtype with harmless elements: refused by the array check itself.
    harmless = _body((1, (2,), np.dtype("O"), False, [1, 2]))
    with pytest.raises(pickle.UnpicklingError, match="dtype object refused"):
        safe_unpickle(io.BytesIO(_array_pickle(harmless)))
    # A structured dtype with an object field, a string dtype, a void dtype: all refused.
    for dtype in (np.dtype([("a", "i4"), ("b", "O")]), np.dtype("U4"), np.dtype("V8"), np.dtype("M8[s]")):
        state = _body((1, (1,), dtype, False, b"\x00" * dtype.itemsize))
        with pytest.raises(pickle.UnpicklingError, match="refused"):
            safe_unpickle(io.BytesIO(_array_pickle(state)))
    path = tmp_path / "object_array.pkl"
    path.write_bytes(pickle.dumps({"G_ema": evil}, protocol=4))
    with pytest.raises(CheckpointError, match="refused|corrupt"):
        load_model(path)
    assert not pwned.exists()


def test_malformed_numpy_array_states_are_refused() -> None:
    f8 = np.dtype("f8")
    bad_states = [
        (1, (3,), f8, False, b"\x00" * 16),  # bytes do not match the shape
        (1, (2**32, 2**32), f8, False, b""),  # a size that overflows int64 is no empty array
        (1, (-1,), f8, False, b""),  # negative dimension
        (2, (1,), f8, False, b"\x00" * 8),  # unknown state version
        (1, (1,), "f8", False, b"\x00" * 8),  # dtype given as a string
        (1, (1,), f8, "yes", b"\x00" * 8),  # order flag not a bool
        (1, (1,), f8, False, [0.0]),  # a list instead of raw bytes
        {"shape": (1,)},  # not a tuple
    ]
    for state in bad_states:
        with pytest.raises(pickle.UnpicklingError):
            safe_unpickle(io.BytesIO(_array_pickle(_body(state))))


def test_other_numpy_globals_are_refused() -> None:
    # ndarray is usable only as _reconstruct's first argument, never called (no huge allocations).
    direct = b"\x80\x03cnumpy\nndarray\n" + _body(((10**6,),)) + b"R."
    with pytest.raises(pickle.UnpicklingError, match="only be rebuilt through _reconstruct"):
        safe_unpickle(io.BytesIO(direct))
    # _reconstruct of anything but a plain ndarray (e.g. a subclass) is refused.
    other = b"\x80\x03cnumpy._core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + _body((5,)) + _body(b"b") + b"\x87R."
    with pytest.raises(pickle.UnpicklingError, match="plain ndarrays"):
        safe_unpickle(io.BytesIO(other))
    for module, name in [
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "load"),
        ("numpy", "frombuffer"),
        ("numpy.lib.npyio", "load"),
        ("numpy.ma.core", "_mareconstruct"),
        ("numpy", "matrix"),
        ("numpy._core.multiarray", "_reconstruct_object"),
        ("numpy.testing", "run_module_suite"),
    ]:
        payload = b"\x80\x03c" + f"{module}\n{name}\n".encode() + b")R."
        with pytest.raises(RefusedGlobalError) as info:
            safe_unpickle(io.BytesIO(payload))
        assert info.value.global_name == f"{module}.{name}"
    # Protocol 5 pickles numpy arrays through numpy._core.numeric._frombuffer: refused by name.
    with pytest.raises(RefusedGlobalError, match="_frombuffer"):
        safe_unpickle(io.BytesIO(pickle.dumps(np.arange(4.0), protocol=5)))
