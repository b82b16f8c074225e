"""Writing frame sequences: an animated GIF, an MP4 (H.264) or WebM (VP9) through imageio-ffmpeg, or
a folder of PNGs; resizing frames to an output size (nearest or smooth); and :func:`export_job`, which
renders and encodes at the same time (a producer and a writer thread), as a stepwise job with progress
and cancel.

Every file is written under a temporary name and renamed into place when complete
(:mod:`engine.fileio`): a cancelled or failed export leaves a file already at the output path as it was.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.fileio import atomic_folder, atomic_output

VIDEO_SUFFIXES = (".gif", ".mp4", ".webm")
SCALES = (1, 2, 4, 8)
"""The output sizes offered as multiples of the model's resolution."""
DEFAULT_PIXELS = 512
"""The output size (longest side) an export aims at by default: a 64 px model exports at 512 px."""
DEFAULT_QUALITY = 8


def output_kind(path: str | Path) -> str:
    """ "gif", "mp4", "webm" or "dir" for an output path (a folder: trailing separator, existing folder or
    no suffix); raises ValueError for any other suffix."""
    text = str(path)
    p = Path(text)
    if text.endswith(("/", os.sep)) or p.is_dir() or not p.suffix:
        return "dir"
    suffix = p.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return suffix[1:]
    raise ValueError(f"'{p.name}': unknown output type '{suffix}' (use .gif, .mp4, .webm or a folder)")


@dataclass(frozen=True)
class OutputSize:
    """How big an exported image or video is: ``scale`` × the model's size, or ``pixels`` on the longest
    side (when set); resampled with nearest neighbours (crisp pixels) or smoothly (Lanczos)."""

    scale: int = 1
    pixels: int | None = None
    smooth: bool = False

    def __post_init__(self) -> None:
        if self.scale < 1:
            raise ValueError(f"scale must be at least 1, got {self.scale}")
        if self.pixels is not None and not 1 <= self.pixels <= 16384:
            raise ValueError(f"output size must be 1..16384 pixels, got {self.pixels}")

    def of(self, height: int, width: int, even: bool = False) -> tuple[int, int]:
        """The (height, width) of a ``height`` × ``width`` frame at this size (aspect kept; ``even``:
        rounded up to even sides, as H.264 and VP9 in yuv420p need)."""
        if height < 1 or width < 1:
            raise ValueError(f"frame size must be positive, got {height}x{width}")
        if self.pixels is None:
            h, w = height * self.scale, width * self.scale
        else:
            f = self.pixels / max(height, width)
            h, w = max(1, round(height * f)), max(1, round(width * f))
        if even:
            h, w = h + h % 2, w + w % 2
        return h, w


def default_scale(resolution: int, target: int = DEFAULT_PIXELS) -> int:
    """The smallest of :data:`SCALES` that brings ``resolution`` to ``target`` pixels (at most the largest)."""
    for s in SCALES:
        if resolution * s >= target:
            return s
    return SCALES[-1]


def _check(frame: np.ndarray) -> np.ndarray:
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (1, 3):
        raise ValueError(f"frames must be uint8 HWC with 1 or 3 channels, got {frame.dtype} {frame.shape}")
    return frame


def upscale(frame: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling by an integer factor (1 = unchanged)."""
    if factor < 1:
        raise ValueError(f"scale must be at least 1, got {factor}")
    return frame if factor == 1 else frame.repeat(factor, axis=0).repeat(factor, axis=1)


def resize(frame: np.ndarray, size: tuple[int, int], smooth: bool = False) -> np.ndarray:
    """``frame`` (uint8 HWC) resized to ``size`` = (height, width): nearest neighbours (an integer factor
    repeats pixels exactly), or smooth (Lanczos up, area average down)."""
    _check(frame)
    h, w = frame.shape[:2]
    th, tw = int(size[0]), int(size[1])
    if th < 1 or tw < 1:
        raise ValueError(f"size must be positive, got {th}x{tw}")
    if (th, tw) == (h, w):
        return frame
    if not smooth and th % h == 0 and tw % w == 0 and th // h == tw // w:
        return upscale(frame, th // h)
    import cv2

    if not smooth:
        interp = cv2.INTER_NEAREST
    else:
        interp = cv2.INTER_LANCZOS4 if th * tw >= h * w else cv2.INTER_AREA
    out = cv2.resize(np.ascontiguousarray(frame), (tw, th), interpolation=interp)
    return out[:, :, None] if out.ndim == 2 else out


def write_frames(
    frames: Iterable[np.ndarray], path: str | Path, fps: float = 24.0, quality: int = DEFAULT_QUALITY
) -> list[Path]:
    """Write uint8 HWC frames to ``path`` (see :func:`output_kind`); returns the files written.
    ``quality``: 1..10 for MP4 and WebM (10 = best; GIF and PNG are lossless).

    Frames are consumed one at a time (the writer never holds the whole sequence, except for GIF).
    Everything is written under temporary names and renamed into place at the end: if ``frames``
    raises, nothing at ``path`` changes.
    """
    import imageio.v2 as imageio

    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if not 1 <= quality <= 10:
        raise ValueError(f"quality must be 1..10, got {quality}")
    kind = output_kind(path)
    p = Path(path)
    if kind == "dir":
        names = []
        with atomic_folder(p) as tmp:
            for i, f in enumerate(frames):
                f = _check(f)
                names.append(f"frame_{i:05d}.png")
                imageio.imwrite(tmp / names[-1], f[:, :, 0] if f.shape[2] == 1 else f)
        return [p / n for n in names]
    with atomic_output(p) as tmp:
        if kind == "gif":
            seq = [(_check(f)[:, :, 0] if f.shape[2] == 1 else f) for f in frames]
            imageio.mimsave(tmp, seq, duration=1000.0 / fps, loop=0)
        else:
            codec = "libx264" if kind == "mp4" else "libvpx-vp9"
            writer = imageio.get_writer(tmp, fps=fps, codec=codec, quality=quality, macro_block_size=2)
            try:
                for f in frames:
                    f = _check(f)
                    if f.shape[2] == 1:
                        f = np.repeat(f, 3, axis=2)
                    if f.shape[0] % 2 or f.shape[1] % 2:  # yuv420p needs even sides
                        f = upscale(f, 2)
                    writer.append_data(f)
            except BaseException:
                # Close here on an error too (imageio's __exit__ leaves that to garbage collection, and
                # ffmpeg would then finish the temporary file after it was removed); keep the first error.
                with contextlib.suppress(Exception):
                    writer.close()
                raise
            writer.close()
    return [p]


_END = object()
_CANCEL = object()


class _Cancelled(Exception):
    """The producer stopped early: the writer drops what it wrote."""


def export_job(
    frames: Iterator[np.ndarray],
    count: int,
    path: str | Path,
    fps: float = 24.0,
    scale: int = 1,
    cancel: Callable[[], bool] | None = None,
    buffer: int = 8,
    size: OutputSize | None = None,
    quality: int = DEFAULT_QUALITY,
) -> Generator[tuple[int, int, str], None, list[Path]]:
    """Render and encode at once: this generator pulls one frame from ``frames`` per step (on the
    caller's thread — the engine thread, which owns the model) and hands it to a writer thread
    through a bounded queue, so encoding (and resizing to ``size``, else an integer nearest ``scale``)
    overlaps rendering. Yields ``(done, count, message)``; returns the files written. Cancelling
    (``cancel()`` true, or closing the generator) stops both and removes the temporary output; a file
    already at ``path`` is kept as it was."""
    kind = output_kind(path)
    if count < 1:
        raise ValueError(f"need at least one frame, got {count}")
    if size is None:
        size = OutputSize(scale=scale)
    cancel = cancel or (lambda: False)
    q: queue.Queue = queue.Queue(maxsize=buffer)
    result: dict[str, object] = {}
    even = kind in ("mp4", "webm")

    ended = threading.Event()

    def consume() -> Iterator[np.ndarray]:
        while True:
            item = q.get()
            if item is _END or item is _CANCEL:
                ended.set()
                if item is _CANCEL:
                    raise _Cancelled
                return
            frame = _check(item)
            yield resize(frame, size.of(*frame.shape[:2], even=even), size.smooth)

    def writer() -> None:
        try:
            result["files"] = write_frames(consume(), path, fps, quality)
        except _Cancelled:
            pass
        except BaseException as e:  # reported to the producer
            result["error"] = e
            while not ended.is_set():  # drain until the end marker, so the producer never blocks
                if q.get() in (_END, _CANCEL):
                    ended.set()

    thread = threading.Thread(target=writer, name="latentlab-video-writer", daemon=True)
    thread.start()
    done = 0
    finished = False
    try:
        for frame in frames:
            if cancel():
                break
            if "error" in result:
                break
            q.put(_check(frame))
            done += 1
            yield done, count, f"frame {done}/{count}"
            if done >= count:
                break
        finished = done >= count and not cancel() and "error" not in result
    finally:
        q.put(_END if finished else _CANCEL)
        thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    if not finished:
        raise RuntimeError("export cancelled")
    return result["files"]  # type: ignore[return-value]
