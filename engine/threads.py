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
- Intra-op threads: ``$LATENTLAB_THREADS`` if set, else torch's own default (the physical cores
  this process may use).

This module imports nothing heavy, so it can run before torch is loaded.
"""

from __future__ import annotations

import logging
import os
import sys

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
