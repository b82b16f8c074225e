"""Render time and frame rate over recent frames, as the status bar shows them (no Qt here).

The figures are rolling medians over the frames of the last :data:`WINDOW_S` seconds (at most
:data:`MAX_FRAMES`), so one slow or fast frame does not swing them:

- the render time is the median of the frames' render times; the first frame after a model is
  opened is left out (it includes one-off warm-up work, e.g. 1 s where later frames take 25 ms);
- the frame rate is the frames shown per second, from the median interval between consecutive
  frames, and only once :data:`MIN_FRAMES_FOR_RATE` frames arrived in the window (one or two frames
  say nothing about a rate: never "890 frames/s" after one frame);
- when no frame arrived for :data:`WINDOW_S` seconds (idle, or a model that renders nothing) the
  window is empty and nothing is shown.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass

WINDOW_S = 2.0
"""Frames older than this many seconds no longer count."""
MAX_FRAMES = 30
"""At most this many recent frames count."""
MIN_FRAMES_FOR_RATE = 5
"""A frame rate is shown only from this many frames in the window on."""


@dataclass(frozen=True)
class FrameTiming:
    """What the status bar shows about rendering: the median render time in ms and the frame rate
    (None when there is nothing to say), the resolution the frame on the canvas was rendered at
    (e.g. a PGGAN level below the top; None without a frame) and the model's own resolution (0 when
    unknown)."""

    render_ms: float | None = None
    fps: float | None = None
    rendered: tuple[int, int] | None = None
    model_resolution: int = 0

    @property
    def empty(self) -> bool:
        return self.render_ms is None and self.fps is None


class FrameStats:
    """Rolling statistics of the frames shown (times in seconds from a monotonic clock)."""

    def __init__(self, window_s: float = WINDOW_S, max_frames: int = MAX_FRAMES) -> None:
        if window_s <= 0 or max_frames < 2:
            raise ValueError("the window needs a positive length and room for at least 2 frames")
        self.window_s = float(window_s)
        self.max_frames = int(max_frames)
        self._frames: deque[tuple[float, float]] = deque(maxlen=self.max_frames)  # (arrival, render ms)
        self._skip = 0

    def reset(self, skip_first: bool = False) -> None:
        """Forget every frame; with ``skip_first`` the next frame is left out (a model's warm-up)."""
        self._frames.clear()
        self._skip = 1 if skip_first else 0

    def add(self, now: float, render_ms: float) -> None:
        """A frame was shown at ``now`` after rendering for ``render_ms``."""
        if self._skip:
            self._skip -= 1
            return
        self._frames.append((float(now), float(render_ms)))

    def _recent(self, now: float) -> list[tuple[float, float]]:
        while self._frames and now - self._frames[0][0] > self.window_s:
            self._frames.popleft()
        return list(self._frames)

    def render_ms(self, now: float) -> float | None:
        """The median render time of the recent frames (None without any)."""
        recent = self._recent(now)
        return statistics.median(ms for _, ms in recent) if recent else None

    def fps(self, now: float) -> float | None:
        """Frames shown per second over the recent frames (None with fewer than
        :data:`MIN_FRAMES_FOR_RATE`)."""
        recent = self._recent(now)
        if len(recent) < MIN_FRAMES_FOR_RATE:
            return None
        gaps = [b[0] - a[0] for a, b in zip(recent, recent[1:])]
        gap = statistics.median(gaps)
        return 1.0 / gap if gap > 0 else None

    def __len__(self) -> int:
        return len(self._frames)
