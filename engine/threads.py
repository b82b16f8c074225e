"""The CPU thread policy: how the engine's intra-op threads wait, and how many there are.

Measured on a 2-core machine shared with other work (``scripts/thread_policy_bench.py``, numbers
in ``docs/PERFORMANCE.md``): with the OpenMP default, torch's intra-op threads spin after each
parallel region; as soon as another process or the GUI thread wants a core, every parallel region
waits for a descheduled spinner, and the explorer's frames went from ~25 ms to 0.3–3 s. With a
passive wait policy (threads sleep at once) the same frames take the same time as one thread
under load, and the full speed of every core when the machine is quiet. So:

- ``OMP_WAIT_POLICY=PASSIVE`` unless the user set a policy. OpenMP reads it once, when its runtime
  is loaded with torch, so :func:`prefer_passive_wait` runs when the :mod:`engine` package is
  imported (before any torch import of ours); a process that imported torch earlier keeps the
  spinning default, which :func:`wait_policy_applied` reports.
- Intra-op threads: ``$LATENTLAB_THREADS`` (or an explicit count) if set, fixed. Otherwise the
  engine starts with torch's own default (the physical cores this process may use) and a
  :class:`ThreadTuner` per model chooses among all, half and one of them from the measured render
  times: which is best depends on what else runs at the moment (see ``docs/PERFORMANCE.md``).

This module imports nothing heavy, so it can run before torch is loaded.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import deque

log = logging.getLogger(__name__)

WAIT_POLICY_ENV = "OMP_WAIT_POLICY"
THREADS_ENV = "LATENTLAB_THREADS"

_policy: dict[str, bool] = {}


def prefer_passive_wait() -> None:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless the environment already names a policy, and remember
    whether torch (so OpenMP) was loaded before: then it has no effect in this process (child
    processes still inherit it)."""
    if _policy:
        return
    _policy["torch_first"] = "torch" in sys.modules
    _policy["set_here"] = WAIT_POLICY_ENV not in os.environ
    if _policy["set_here"]:
        os.environ[WAIT_POLICY_ENV] = "PASSIVE"


def wait_policy() -> str:
    """How this process's intra-op threads wait, in words (benchmarks report it)."""
    if _policy.get("torch_first") and _policy.get("set_here"):
        return "spin (OpenMP default: torch was loaded before LatentLab set OMP_WAIT_POLICY)"
    value = os.environ.get(WAIT_POLICY_ENV, "").strip()
    return value.lower() if value else "spin (OpenMP default)"


def default_threads() -> int:
    """Intra-op threads when nobody asked for a number: ``$LATENTLAB_THREADS``, else torch's default
    (the physical cores available to this process)."""
    env = os.environ.get(THREADS_ENV, "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            log.warning("ignoring %s=%r (not a whole number)", THREADS_ENV, env)
        else:
            if n >= 1:
                return n
            log.warning("ignoring %s=%r (must be at least 1)", THREADS_ENV, env)
    return _torch_default_threads()


_torch_default: list[int] = []


def _torch_default_threads() -> int:
    """torch's intra-op thread count before LatentLab changed it (read once)."""
    if not _torch_default:
        import torch

        _torch_default.append(max(1, int(torch.get_num_threads())))
    return _torch_default[0]


def thread_candidates(most: int) -> tuple[int, ...]:
    """The thread counts the tuner chooses from for up to ``most`` threads: all of them, half of
    them and one (largest first, without repeats)."""
    most = max(1, int(most))
    return tuple(sorted({most, max(1, most // 2), 1}, reverse=True))


class ThreadTuner:
    """Chooses the intra-op thread count of interactive renders from their measured times.

    The best count depends on what else runs: on a quiet machine every core helps; when other
    processes (or the GUI) want cores, threads that wait for a descheduled sibling at each parallel
    region can make two threads slower than one — or faster, when many processes share the cores
    and each thread gets its share. So the tuner measures: it leaves out the first frame (the
    model's warm-up), tries each candidate for a few frames, then renders with the one of the lowest
    mean time over its recent frames without their slowest (a mean, not a median: frequent stalls
    are what make a count bad; one outlier is not), and every :attr:`explore_every` frames
    re-measures another candidate for :attr:`probe_len` frames, so it follows a machine whose load
    changes. One tuner per model: the best count differs with the model's size. Pure bookkeeping:
    the engine thread applies :attr:`current`.
    """

    def __init__(
        self,
        candidates: tuple[int, ...],
        window: int = 6,
        min_samples: int = 3,
        explore_every: int = 40,
        probe_len: int = 2,
        skip_first: bool = True,
    ) -> None:
        if not candidates or any(c < 1 for c in candidates):
            raise ValueError(f"thread candidates must be positive, got {candidates}")
        if min_samples < 1 or window < min_samples or probe_len < 1 or explore_every <= probe_len:
            raise ValueError("the tuner needs window >= min_samples >= 1 and explore_every > probe_len >= 1")
        self.candidates = tuple(dict.fromkeys(int(c) for c in candidates))
        self.min_samples = min_samples
        self.explore_every = explore_every
        self.probe_len = probe_len
        self._samples = {c: deque(maxlen=window) for c in self.candidates}
        self._since_probe = 0
        self._probe_left = 0
        self._probe_next = 0  # which other candidate the next probe measures (round robin)
        self._skip = 1 if skip_first else 0
        self.current = self.candidates[0]

    def mean_ms(self, threads: int) -> float | None:
        """The mean time of the recent frames rendered with ``threads``, the slowest left out when
        there are several (None before any)."""
        s = sorted(self._samples.get(threads, ()))
        if len(s) > 2:
            s = s[:-1]
        return sum(s) / len(s) if s else None

    def best(self) -> int:
        """The candidate with the lowest recent mean among those measured enough (else the first)."""
        measured = [c for c in self.candidates if len(self._samples[c]) >= self.min_samples]
        if not measured:
            return self.candidates[0]
        return min(measured, key=lambda c: self.mean_ms(c) or 0.0)

    def record(self, threads: int, ms: float) -> int:
        """A frame took ``ms`` with ``threads``; returns the count for the next frame (also :attr:`current`)."""
        if self._skip:
            self._skip -= 1
            return self.current
        if threads in self._samples:
            self._samples[threads].append(float(ms))
        unmeasured = [c for c in self.candidates if len(self._samples[c]) < self.min_samples]
        if unmeasured:  # first, a few frames with each candidate
            if threads not in unmeasured:
                self.current = unmeasured[0]
            return self.current
        if self._probe_left > 0:
            self._probe_left -= 1
            if self._probe_left > 0:
                return self.current
        best = self.best()
        self._since_probe += 1
        others = [c for c in self.candidates if c != best]
        if others and self._since_probe >= self.explore_every:
            self._since_probe = 0
            self._probe_left = self.probe_len
            self.current = others[self._probe_next % len(others)]
            self._probe_next += 1
            return self.current
        self.current = best
        return self.current
