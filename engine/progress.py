"""Time estimates for long jobs: how long the rest will take, from how long the part done took."""

from __future__ import annotations

import time


def format_duration(seconds: float) -> str:
    """``seconds`` for people: "8 s", "2 min 5 s", "1 h 3 min"."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, s = divmod(s, 60)
        return f"{m} min {s} s" if s else f"{m} min"
    h, rem = divmod(s, 3600)
    return f"{h} h {rem // 60} min"


class Eta:
    """Remaining time of a job of ``total`` equal steps, from the rate of the steps done so far.

    The first step is left out of the rate once there are others (it includes warm-up: the first
    render of a model is slower), so ``remaining`` is None until the second step is done."""

    def __init__(self, total: int, clock=time.monotonic) -> None:
        self.total = int(total)
        self._clock = clock
        self._t0 = clock()
        self._first: tuple[int, float] | None = None

    def update(self, done: int) -> float | None:
        """Record that ``done`` steps are finished; returns the seconds left (None while unknown)."""
        now = self._clock()
        if done <= 0:
            return None
        if self._first is None:
            self._first = (done, now)
            return None
        d0, t0 = self._first
        if done <= d0:
            return None
        rate = (now - t0) / (done - d0)
        return max(0.0, rate * (self.total - done))

    def text(self, done: int) -> str:
        """``"about 2 min 5 s left"`` (or "" while unknown) after ``done`` steps."""
        left = self.update(done)
        return "" if left is None else f"about {format_duration(left)} left"


__all__ = ["Eta", "format_duration"]
