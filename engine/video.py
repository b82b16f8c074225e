"""Writing frame sequences: an animated GIF, an MP4 (imageio-ffmpeg) or a folder of PNGs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

VIDEO_SUFFIXES = (".gif", ".mp4")


def output_kind(path: str | Path) -> str:
    """ "gif", "mp4" or "dir" for an output path (a folder: trailing separator, existing folder or
    no suffix); raises ValueError for any other suffix."""
    text = str(path)
    p = Path(text)
    if text.endswith(("/", os.sep)) or p.is_dir() or not p.suffix:
        return "dir"
    suffix = p.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return suffix[1:]
    raise ValueError(f"'{p.name}': unknown output type '{suffix}' (use .gif, .mp4 or a folder)")


def _check(frame: np.ndarray) -> np.ndarray:
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (1, 3):
        raise ValueError(f"frames must be uint8 HWC with 1 or 3 channels, got {frame.dtype} {frame.shape}")
    return frame


def upscale(frame: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling by an integer factor (1 = unchanged)."""
    if factor < 1:
        raise ValueError(f"scale must be at least 1, got {factor}")
    return frame if factor == 1 else frame.repeat(factor, axis=0).repeat(factor, axis=1)


def write_frames(frames: Iterable[np.ndarray], path: str | Path, fps: float = 24.0) -> list[Path]:
    """Write uint8 HWC frames to ``path`` (see :func:`output_kind`); returns the files written.

    Frames are consumed one at a time (the writer never holds the whole sequence, except for GIF).
    """
    import imageio.v2 as imageio

    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    kind = output_kind(path)
    p = Path(path)
    if kind == "dir":
        p.mkdir(parents=True, exist_ok=True)
        written = []
        for i, f in enumerate(frames):
            f = _check(f)
            out = p / f"frame_{i:05d}.png"
            imageio.imwrite(out, f[:, :, 0] if f.shape[2] == 1 else f)
            written.append(out)
        return written
    p.parent.mkdir(parents=True, exist_ok=True)
    if kind == "gif":
        seq = [(_check(f)[:, :, 0] if f.shape[2] == 1 else f) for f in frames]
        imageio.mimsave(p, seq, duration=1000.0 / fps, loop=0)
        return [p]
    with imageio.get_writer(p, fps=fps, codec="libx264", quality=8, macro_block_size=2) as writer:
        for f in frames:
            f = _check(f)
            if f.shape[2] == 1:
                f = np.repeat(f, 3, axis=2)
            if f.shape[0] % 2 or f.shape[1] % 2:  # yuv420p needs even sides
                f = upscale(f, 2)
            writer.append_data(f)
    return [p]
