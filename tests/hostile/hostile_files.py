"""Builders for hostile files (all tiny on disk) and a probe that measures a refusal in a subprocess.

:func:`probe` runs a snippet in a fresh Python with the repository on the path and reports what it
raised, the CPU seconds and the peak memory growth of the call alone (``resource.getrusage`` for
CPU; the peak RSS is reset just before the call through ``/proc/self/clear_refs`` where Linux
allows it, so the import of torch does not hide the call's own peak). A wall-clock timeout catches
hangs (a FIFO that blocks a reader uses no CPU).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]

_PROBE = r"""
import json, os, re, resource, sys, traceback
{setup}

def _status(key):
    with open("/proc/self/status") as f:
        m = re.search(key + r":\s+(\d+)", f.read())
    return int(m.group(1)) if m else 0

try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
before = resource.getrusage(resource.RUSAGE_SELF)
rss_before = _status("VmRSS") if reset else before.ru_maxrss
out = {{}}
try:
    value = target()
    out["ok"] = True
    out["value"] = repr(value)[:500]
except BaseException as e:
    out["ok"] = False
    out["type"] = type(e).__name__
    out["mro"] = [c.__name__ for c in type(e).__mro__]
    out["message"] = str(e)
    out["traceback"] = traceback.format_exc()[-3000:]
after = resource.getrusage(resource.RUSAGE_SELF)
peak = _status("VmHWM") if reset else after.ru_maxrss
out["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
out["rss_growth_mb"] = max(0, peak - rss_before) / 1024
print("PROBE " + json.dumps(out))
"""


def probe(code: str, setup: str = "", timeout: float = 60.0, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` (the body of ``def target():``) after ``setup`` in a subprocess; returns
    ``{"ok", "type", "message", "cpu_s", "rss_growth_mb", "stderr"}``."""
    body = "def target():\n" + textwrap.indent(textwrap.dedent(code).strip() or "pass", "    ")
    script = _PROBE.format(setup=textwrap.dedent(setup) + "\n" + body)
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")]
    if not lines:
        raise AssertionError(f"probe crashed (rc {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    out = json.loads(lines[-1][6:])
    out["stderr"] = proc.stderr
    return out


def assert_refused_cheaply(result: dict, *needles: str, max_cpu_s: float = 1.0, max_mb: float = 200.0) -> None:
    """The probe raised an error whose one-line message contains every needle, within the budget."""
    assert not result["ok"], f"expected a refusal, got {result.get('value')}"
    msg = result["message"]
    assert "\n" not in msg, f"message is not one line: {msg!r}"
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}\n{result.get('traceback', '')}"
    assert result["cpu_s"] <= max_cpu_s, f"refusal took {result['cpu_s']:.2f} CPU s: {msg}"
    assert result["rss_growth_mb"] <= max_mb, f"refusal grew RSS by {result['rss_growth_mb']:.0f} MB: {msg}"


# --- images ---------------------------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(path: Path, side: int = 40000) -> Path:
    """A one-colour 1-bit ``side``×``side`` PNG (40000² ≈ 194 KB on disk, 1.6 gigapixels decoded)."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    parts = [comp.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(comp.compress(row * (side % 1000)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(parts))
    path.write_bytes(data + _png_chunk(b"IEND", b""))
    return path


def png_16bit(path: Path, size: int = 24) -> Path:
    """A 16-bit greyscale PNG with a gradient (mode ``I;16``)."""
    from PIL import Image

    a = (np.linspace(0, 65535, size * size).reshape(size, size)).astype(np.uint16)
    Image.fromarray(a).save(path)
    return path


def jpeg_with_orientation(path: Path, orientation: int = 6) -> Path:
    """A 40×20 JPEG, left half black and right half white, with an EXIF orientation tag."""
    from PIL import Image

    a = np.zeros((20, 40, 3), np.uint8)
    a[:, 20:] = 255
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(a).save(path, exif=exif, quality=95)
    return path


def text_as_png(path: Path) -> Path:
    path.write_text("this is not an image\n")
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def image_folder_of_20(folder: Path, bomb: Path) -> dict[str, Path]:
    """``folder`` with 16 small RGB PNGs, a decompression bomb (a copy of ``bomb``), a text file named
    ``notes.png``, a FIFO named ``pipe.png`` and a 16-bit PNG; returns the 16 good ones by name."""
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    good = {}
    for i in range(16):
        p = folder / f"img{i:02d}.png"
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(p)
        good[p.name] = p
    (folder / "bomb.png").write_bytes(bomb.read_bytes())
    text_as_png(folder / "notes.png")
    fifo(folder / "pipe.png")
    png_16bit(folder / "deep.png")
    return good


# --- torch files ----------------------------------------------------------------------------------
def torch_stride0(path: Path, n: int = 700_000_000) -> Path:
    """A tiny torch zip whose one tensor is a stride-0 view of ``n`` float32 over 1 element."""
    import torch

    torch.save({"w": torch.zeros(1).as_strided((n,), (0,))}, path)
    return path


def torch_deflated(path: Path, nbytes: int = 256 << 20) -> Path:
    """A well-formed torch zip whose one storage (``nbytes`` of zeros) is deflated to ~250 KB:
    ``torch.load`` would inflate all of it."""
    import torch

    numel = nbytes // 4
    pkl = io.BytesIO()

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _StorageRef):
                return ("storage", obj.storage_type, "0", "cpu", obj.numel)
            return None

    P(pkl, protocol=2).dump({"w": _TensorStub(_StorageRef(torch.FloatStorage, numel), (numel,))})
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("archive/data.pkl", pkl.getvalue())
        out.writestr("archive/byteorder", "little")
        zi = zipfile.ZipInfo("archive/data/0")
        zi.compress_type = zipfile.ZIP_DEFLATED
        with out.open(zi, "w", force_zip64=True) as dst:
            chunk = b"\x00" * (1 << 20)
            for _ in range(nbytes >> 20):
                dst.write(chunk)
        out.writestr("archive/version", "3\n")
    return path


class _StorageRef:
    def __init__(self, storage_type: type, numel: int) -> None:
        self.storage_type = storage_type
        self.numel = numel


class _TensorStub:
    def __init__(self, ref: _StorageRef, size: tuple[int, ...]) -> None:
        self.ref = ref
        self.size = size

    def __reduce__(self):
        import torch

        stride = tuple(int(np.prod(self.size[i + 1 :])) for i in range(len(self.size)))
        return (torch._utils._rebuild_tensor_v2, (self.ref, 0, self.size, stride, False, OrderedDict()))


def legacy_torch_bytes(numel: int, stored_floats: int = 4) -> bytes:
    """A legacy (pre-1.6) torch file whose one float storage declares ``numel`` elements but holds
    ``stored_floats``: torch would allocate ``numel × 4`` bytes before reading."""
    import torch

    buf = io.BytesIO()
    for obj in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
        pickle.dump(obj, buf, protocol=2)
    ref = _StorageRef(torch.FloatStorage, numel)

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _StorageRef):
                return ("storage", obj.storage_type, "0", "cpu", obj.numel, None)
            return None

    P(buf, protocol=2).dump({"w": _TensorStub(ref, (numel,))})
    pickle.dump(["0"], buf, protocol=2)
    buf.write(struct.pack("<q", stored_floats) + b"\x00" * (4 * stored_floats))
    return buf.getvalue()


class _LoadFromBytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self):
        import torch

        return (torch.storage._load_from_bytes, (self.data,))


def nvlabs_nested_legacy(path: Path, numel: int) -> Path:
    """A raw pickle (NVlabs style) with one storage stored as nested legacy bytes declaring ``numel``."""
    path.write_bytes(pickle.dumps({"G_ema": _LoadFromBytes(legacy_torch_bytes(numel))}, protocol=4))
    return path


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def payload_pickle(path: Path, marker: Path) -> Path:
    """A raw pickle that would run ``touch MARKER`` if anything executed it."""
    path.write_bytes(pickle.dumps({"G_ema": _Payload(marker)}, protocol=4))
    return path


# --- npz ------------------------------------------------------------------------------------------
def npz_with_labels(path: Path, labels: np.ndarray, n: int = 4, side: int = 8) -> Path:
    images = np.zeros((n, side, side, 1), np.uint8)
    np.savez(path, images=images, labels=labels)
    return path


def npz_object_array(path: Path) -> Path:
    np.savez(path, images=np.array([{"a": 1}, None], dtype=object))
    return path


def npz_lying_header(path: Path, shape: tuple[int, ...] = (100_000, 1024, 1024)) -> Path:
    """An npz whose ``images.npy`` header declares ``shape`` uint8 but stores 16 bytes."""
    from numpy.lib import format as npy_format

    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": shape})
    buf.write(b"\x00" * 16)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("images.npy", buf.getvalue())
    return path


# --- native model files ---------------------------------------------------------------------------
def native_with_description(folder: Path, tiny: Path, change: dict) -> Path:
    """A copy of the native model ``tiny`` whose JSON description has ``change`` applied
    (``{"config.z_dim": -5}`` edits the config; ``{"version": None}`` a top-level field)."""
    st = folder / "model.safetensors"
    st.write_bytes(tiny.read_bytes())
    doc = json.loads(tiny.with_suffix(".json").read_text())
    for key, value in change.items():
        target = doc
        parts = key.split(".")
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value
    st.with_suffix(".json").write_text(json.dumps(doc))
    return st


def safetensors_with_header(path: Path, header: dict, data: bytes = b"") -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path
