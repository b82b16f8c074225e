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
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import OutputError
from engine.fileio import TEMP_MARK, atomic_open, atomic_output, output_error, output_mode
from engine.limits import check_fps

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

    Frames are consumed one at a time (the writer never holds the whole sequence, except for GIF,
    whose encoder needs them all). Every file goes to a temporary name first (see
    :mod:`engine.fileio`) and is renamed into place only when the last frame is written: if ``frames``
    raises (a failed render, a cancel), or the writer fails (a full disk), nothing at ``path`` is
    touched and no partial file is left under the final name. A folder's frames are written into a
    hidden temporary folder inside it and moved into place at the end.
    """

    fps = check_fps(fps)
    if not 1 <= quality <= 10:
        raise ValueError(f"quality must be 1..10, got {quality}")
    kind = output_kind(path)
    p = Path(path)
    if kind == "dir":
        return _write_folder(frames, p)
    if kind == "gif":
        return [_write_gif(frames, p, fps)]
    with atomic_output(p) as tmp, contextlib.closing(_FfmpegWriter(tmp, p, fps, kind, quality)) as writer:
        for f in frames:
            f = _check(f)
            if f.shape[2] == 1:
                f = np.repeat(f, 3, axis=2)
            if f.shape[0] % 2 or f.shape[1] % 2:  # yuv420p needs even sides
                f = upscale(f, 2)
            writer.append(f)
        writer.finish()
    return [p]


def _write_gif(frames: Iterable[np.ndarray], path: Path, fps: float) -> Path:
    """An animated GIF (looping, ``1000 / fps`` ms a frame) written by Pillow into a temporary file
    (what imageio's Pillow writer does, without its writer object: a failed write, e.g. a full disk,
    raises once and leaves nothing that retries the write when it is garbage-collected)."""
    from PIL import Image

    images = [Image.fromarray(f[:, :, 0] if f.shape[2] == 1 else f) for f in map(_check, frames)]
    if not images:
        raise ValueError("no frames to write")
    with atomic_open(path) as f:
        extra = {"save_all": True, "append_images": images[1:]} if len(images) > 1 else {}
        images[0].save(f, format="GIF", duration=1000.0 / fps, loop=0, **extra)
    return path


def _codec_args(kind: str, quality: int) -> list[str]:
    """Encoder arguments for ``quality`` 1..10 (10 = best): x264 CRF 32…10, VP9 constant quality 55…10."""
    if kind == "mp4":
        return ["-vcodec", "libx264", "-pix_fmt", "yuv420p", "-crf", str(round(35 - 2.5 * quality))]
    return ["-vcodec", "libvpx-vp9", "-pix_fmt", "yuv420p", "-crf", str(round(60 - 5 * quality)), "-b:v", "0"]


class _FfmpegWriter:
    """Frames piped into ffmpeg (the binary imageio-ffmpeg ships), with its messages captured and its
    exit status checked: a failed encode (a full disk) raises :class:`OutputError` naming the final
    file and ffmpeg's reason instead of leaving a truncated video; :meth:`close` without
    :meth:`finish` (a cancel, an error) kills ffmpeg at once."""

    def __init__(self, tmp: Path, final: Path, fps: float, kind: str, quality: int = DEFAULT_QUALITY) -> None:
        self.tmp, self.final, self.fps, self.kind, self.quality = tmp, final, fps, kind, quality
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.size: tuple[int, int] | None = None

    def _start(self, h: int, w: int) -> None:
        import imageio_ffmpeg

        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-f", "rawvideo", "-vcodec", "rawvideo"]
        cmd += ["-s", f"{w}x{h}", "-pix_fmt", "rgb24", "-r", f"{self.fps:g}", "-i", "-", "-an"]
        cmd += _codec_args(self.kind, self.quality) + ["-v", "error", str(self.tmp)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log)
        self.size = (h, w)

    def _failure(self) -> OutputError:
        assert self.proc is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait()
        self.log.seek(0)
        lines = [ln.strip() for ln in self.log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {self.proc.returncode}"
        return OutputError(self.final, f"cannot write (video encoder: {reason[:200]})")

    def append(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self.proc is None:
            self._start(h, w)
        elif (h, w) != self.size:
            raise ValueError(f"all frames must have one size; got {w}×{h} after {self.size[1]}×{self.size[0]}")
        try:
            self.proc.stdin.write(np.ascontiguousarray(frame).tobytes())  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            raise self._failure() from None

    def finish(self) -> None:
        """All frames are in: let ffmpeg write the file, and raise if it failed."""
        if self.proc is None:
            raise ValueError("no frames to write")
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            raise self._failure() from None
        if self.proc.wait() != 0:
            raise self._failure()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        self.log.close()


def _write_folder(frames: Iterable[np.ndarray], folder: Path) -> list[Path]:
    """``frame_00000.png`` … into ``folder``: written into a hidden temporary folder inside it, then
    each moved into place once all are written (a cancel or failure leaves ``folder`` as it was)."""
    import imageio.v2 as imageio

    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".frames.", suffix=TEMP_MARK))
    except OSError as e:
        raise output_error(folder, e) from e
    try:
        names = []
        for i, f in enumerate(frames):
            f = _check(f)
            name = f"frame_{i:05d}.png"
            imageio.imwrite(staging / name, f[:, :, 0] if f.shape[2] == 1 else f, format="PNG")
            names.append(name)
        mode = output_mode(folder / "frame_00000.png")
        for name in names:
            os.chmod(staging / name, mode)
            os.replace(staging / name, folder / name)
    except OSError as e:
        raise output_error(folder, e) from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / n for n in names]


class ExportCancelled(RuntimeError):
    """The export was cancelled; nothing at the output path was changed."""

    def __init__(self) -> None:
        super().__init__("export cancelled")


class _Abort(Exception):
    """Raised inside the writer to stop it without finishing the file."""


_END = object()
_ABORT = object()


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
    fps = check_fps(fps)
    cancel = cancel or (lambda: False)
    q: queue.Queue = queue.Queue(maxsize=buffer)
    result: dict[str, object] = {}
    even = kind in ("mp4", "webm")

    ended = threading.Event()

    def consume() -> Iterator[np.ndarray]:
        while True:
            item = q.get()
            if item is _END or item is _ABORT:
                ended.set()
                if item is _ABORT:
                    raise _Abort
                return
            frame = _check(item)
            yield resize(frame, size.of(*frame.shape[:2], even=even), size.smooth)

    def writer() -> None:
        try:
            result["files"] = write_frames(consume(), path, fps, quality)
        except _Abort:
            pass
        except BaseException as e:  # reported to the producer
            result["error"] = e
            while not ended.is_set():  # drain until the end marker, so the producer never blocks
                item = q.get()
                if item is _END or item is _ABORT:
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
        # The writer finishes the file only on _END; on _ABORT (cancel, error, fewer frames, the
        # generator closed) it drops its temporary file and the output path is left as it was.
        q.put(_END if finished else _ABORT)
        thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    if not finished:
        if done < count and not cancel():
            raise RuntimeError(f"export stopped: the frames ended after {done} of {count}")
        raise ExportCancelled()
    return result["files"]  # type: ignore[return-value]
