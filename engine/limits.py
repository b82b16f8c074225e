"""Every size limit LatentLab enforces, in one place, and the checks that apply them.

A limit is checked *before* the memory it guards is allocated: file sizes before reading, container
headers (safetensors, torch zip, npz, image headers) before decoding, configs before a module is
built, argument values before a job starts. The bounds are generous enough for every published
model we know (StyleGAN2/3 FFHQ 1024: resolution 1024, z/w 512, 8 mapping layers, channel base
32768/65536, at most 1024 channels; pSp at 256; CycleGAN/pix2pix at 256-512) and small enough
that a tiny hostile file cannot make LatentLab allocate gigabytes.

Errors are :class:`~engine.errors.LimitError` (a ``ValueError``) that state the limit; callers
that know the file wrap them into an error naming it.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

from engine.errors import FileError, LimitError

# --- model configs (see engine.config_schema) ----------------------------------------------------
MAX_RESOLUTION = 4096
"""Image resolution of a model (a power of two)."""
MAX_IMAGE_CHANNELS = 64
"""Channels of a model's input/output images (1 grey, 3 RGB, 4 RGBA; more for odd data)."""
MAX_CHANNELS = 4096
"""Width of any one layer (feature channels, hidden units)."""
MAX_CHANNEL_BASE = 1 << 18
"""StyleGAN's ``channel_base`` numerator (NVlabs uses up to 65536 for stylegan3-r at 1024)."""
MAX_LATENT_DIM = 4096
"""z, w and embedding dimensions."""
MAX_LAYERS = 64
"""Layer and block counts (mapping layers, residual blocks, down-samplings, list lengths)."""
MAX_CLASSES = 65536
"""Classes / domains of a conditional model, and label values in training data."""
MAX_CONFIG_INT = 1 << 20
"""Any other integer in a model config."""
MAX_CONFIG_FLOAT = 1e9
"""Magnitude of any float in a model config or hyper-parameters (and it must be finite)."""
MAX_CONFIG_STR = 256
"""Length of a string value in a model config."""

# --- files ---------------------------------------------------------------------------------------
MAX_SIDECAR_BYTES = 16 << 20
"""A JSON description / project / run file (a model's JSON is a few KB)."""
MAX_SAFETENSORS_HEADER_BYTES = 64 << 20
"""The JSON header of a safetensors file (tensor table + embedded description)."""
MAX_PICKLE_BYTES = 256 << 20
"""The pickle inside a torch zip (``data.pkl``): structure only; tensors are separate members."""
ZIP_MAX_RATIO = 10.0
"""A compressed member of a torch zip or npz may expand at most this much, unless small."""
ZIP_SMALL_BYTES = 16 << 20
"""Members (and archives) that unpack to at most this many bytes are never refused for their ratio."""
DATA_ZIP_MAX_RATIO = 100.0
"""A zip of training images may unpack to at most this multiple of its own size (images are
already compressed; a zip bomb expands ~1000×)."""
DATA_ZIP_MAX_BYTES = 64 << 30
"""A zip of training images may unpack to at most this many bytes in the cache."""
MAX_NPZ_BYTES = 32 << 30
"""Arrays in one ``.npz`` of training data, unpacked."""
MAX_LATENT_FILE_BYTES = 1 << 30
"""Arrays in one latent / directions ``.npz``, unpacked."""

# --- images --------------------------------------------------------------------------------------
MAX_IMAGE_PIXELS = 16384 * 16384
"""Pixels of an input image (width × height), checked from the header before decoding."""

# --- jobs ----------------------------------------------------------------------------------------
MAX_FRAMES = 1_000_000
"""Frames of one exported walk / interpolation."""
MAX_SEEDS = 1_000_000
"""Images of one ``generate`` run."""
MAX_OUTPUT_SIDE = 16384
"""Width or height of an output frame or grid, in pixels."""
MAX_OUTPUT_FRAME_BYTES = 512 << 20
"""Bytes of one output frame or grid (uint8, before encoding)."""
MAX_FPS = 1000.0
MIN_FPS = 0.01
MAX_RNG_SEED = 2**63 - 1
"""A random-number generator seed (``train --seed``, ``generate --noise-seed``) must fit in a signed 64-bit
integer. Image seeds (the latent of an image) are bounded by :data:`engine.api.MAX_SEED` instead."""


def check_int(value: object, what: str, lo: int, hi: int) -> int:
    """``value`` as an int in ``lo..hi`` (bools and non-integral numbers refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise LimitError(f"{what} must be an integer, got {value!r}"[:200])
    if not lo <= value <= hi:
        raise LimitError(f"{what} must be in {lo}..{hi}, got {value}")
    return value


def check_float(value: object, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    """``value`` as a finite float in ``lo..hi``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LimitError(f"{what} must be a number, got {value!r}"[:200])
    v = float(value)
    if not math.isfinite(v):
        raise LimitError(f"{what} must be a finite number, got {v}")
    if not lo <= v <= hi:
        raise LimitError(f"{what} must be in {lo:g}..{hi:g}, got {v:g}")
    return v


def check_resolution(value: object, what: str = "resolution") -> int:
    """A power of two in 4..:data:`MAX_RESOLUTION`."""
    r = check_int(value, what, -(2**63), 2**63)
    if not 4 <= r <= MAX_RESOLUTION or r & (r - 1):
        raise LimitError(f"{what} must be a power of two from 4 to {MAX_RESOLUTION}, got {r}")
    return r


def check_fps(value: object) -> float:
    """Frames per second of an export: finite, :data:`MIN_FPS`..:data:`MAX_FPS`."""
    return check_float(value, "fps", MIN_FPS, MAX_FPS)


def check_frames(count: object, what: str = "frames") -> int:
    """A frame count in 1..:data:`MAX_FRAMES`."""
    return check_int(count, what, 1, MAX_FRAMES)


def check_output_frame(height: int, width: int, channels: int = 3, what: str = "output") -> None:
    """Refuse an output frame or grid larger than :data:`MAX_OUTPUT_SIDE` or :data:`MAX_OUTPUT_FRAME_BYTES`."""
    if height < 1 or width < 1:
        raise LimitError(f"{what} must be at least 1×1 pixels, got {width}×{height}")
    if max(height, width) > MAX_OUTPUT_SIDE:
        raise LimitError(f"{what} of {width}×{height} pixels exceeds the limit of {MAX_OUTPUT_SIDE} pixels a side")
    if height * width * channels > MAX_OUTPUT_FRAME_BYTES:
        raise LimitError(f"{what} of {width}×{height} pixels exceeds {MAX_OUTPUT_FRAME_BYTES >> 20} MB")


def check_image_size(width: int, height: int) -> None:
    """Refuse an input image with more than :data:`MAX_IMAGE_PIXELS` pixels (from its header)."""
    if width < 1 or height < 1:
        raise LimitError(f"image has no pixels ({width}×{height})")
    if width * height > MAX_IMAGE_PIXELS:
        raise LimitError(
            f"image of {width}×{height} pixels exceeds the limit of {MAX_IMAGE_PIXELS // 1_000_000} megapixels"
        )


def expansion_ok(unpacked: int, packed: int, ratio: float = ZIP_MAX_RATIO, small: int = ZIP_SMALL_BYTES) -> bool:
    """Whether ``packed`` bytes may unpack to ``unpacked`` bytes: small results always, else at most ``ratio``×."""
    return unpacked <= small or unpacked <= ratio * max(packed, 1)


def describe_file_type(mode: int) -> str | None:
    """What a non-regular file is ("a folder", "a named pipe (FIFO)", …), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular_file(path: str | Path, max_bytes: int | None = None, what: str = "file") -> os.stat_result:
    """Refuse anything but an existing regular file (folders, FIFOs, devices, sockets) before it is
    opened, and files over ``max_bytes``; raises :class:`~engine.errors.FileError` naming ``path``."""
    p = Path(path)
    if str(path) == "":
        raise FileError("''", "empty file name")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise FileError(p, f"no such {what}") from None
    except OSError as e:
        raise FileError(p, f"cannot read {what} ({e.strerror or e})") from e
    kind = describe_file_type(st.st_mode)
    if kind is not None:
        raise FileError(p, f"is {kind}, not {'an' if what[:1].lower() in 'aeiou' else 'a'} {what}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise FileError(p, f"{what} is {size_text(st.st_size)}, more than the limit of {size_text(max_bytes)}")
    return st


def size_text(n: int) -> str:
    """``n`` bytes as "1.5 MB" etc."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n} bytes"
