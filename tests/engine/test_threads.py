"""The CPU thread policy: a passive OpenMP wait set before torch loads, the thread count, per thread."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def _python(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "LATENTLAB_THREADS")}
    base.update(PYTHONPATH=str(REPO), **env)
    out = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_importing_the_engine_sets_a_passive_wait_before_torch_loads() -> None:
    code = (
        "import sys, os, engine; from engine.threads import wait_policy; "
        "print('torch' in sys.modules, os.environ['OMP_WAIT_POLICY'], wait_policy())"
    )
    assert _python(code) == "False PASSIVE passive"


def test_a_policy_the_user_chose_is_kept() -> None:
    code = (
        "import os, engine; from engine.threads import wait_policy; print(os.environ['OMP_WAIT_POLICY'], wait_policy())"
    )
    assert _python(code, OMP_WAIT_POLICY="ACTIVE") == "ACTIVE active"


def test_too_late_when_torch_was_loaded_first() -> None:
    code = "import torch, engine; from engine.threads import wait_policy; print(wait_policy())"
    assert _python(code).startswith("spin")


def test_default_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.threads import default_threads

    monkeypatch.setenv("LATENTLAB_THREADS", "3")
    assert default_threads() == 3
    for bad in ("many", "0"):
        monkeypatch.setenv("LATENTLAB_THREADS", bad)
        assert default_threads() >= 1  # ignored (with a warning): torch's own default
    monkeypatch.delenv("LATENTLAB_THREADS")
    assert default_threads() >= 1


def test_the_engine_thread_sets_its_own_thread_count() -> None:
    from engine.runtime import Engine

    before = torch.get_num_threads()
    with Engine("cpu", threads=1) as eng:
        assert eng.threads == 1
        assert eng.call(lambda ctx: torch.get_num_threads(), timeout=60) == 1
    assert torch.get_num_threads() == before  # the caller's thread is left alone


def test_candidates() -> None:
    from engine.threads import thread_candidates

    assert thread_candidates(1) == (1,)
    assert thread_candidates(2) == (2, 1)
    assert thread_candidates(8) == (8, 4, 1)


def _run(tuner, cost, frames: int) -> list[int]:
    """Feed ``frames`` renders whose time is ``cost(threads)``; the counts used, in order."""
    used = []
    for _ in range(frames):
        n = tuner.current
        used.append(n)
        tuner.record(n, cost(n))
    return used


def test_tuner_measures_each_count_then_keeps_the_fastest() -> None:
    from engine.threads import ThreadTuner

    t = ThreadTuner((2, 1), min_samples=3, explore_every=10, probe_len=2)
    t.record(2, 1011.0)  # the first frame (a model's warm-up) says nothing about the thread count
    assert t.mean_ms(2) is None
    used = _run(t, lambda n: {2: 60.0, 1: 25.0}[n], 30)  # two threads stall (a busy machine)
    assert used[:6] == [2, 2, 2, 1, 1, 1]  # each candidate a few frames first
    assert t.best() == 1 and used[6:].count(2) <= 4  # then one thread, with short probes of two
    quiet = _run(t, lambda n: {2: 12.0, 1: 22.0}[n], 60)  # the machine went quiet: two are faster
    assert t.best() == 2 and quiet[-10:].count(2) >= 8


def test_tuner_uses_the_mean_so_stalls_count() -> None:
    from engine.threads import ThreadTuner

    t = ThreadTuner((2, 1), window=5, min_samples=5, skip_first=False)
    for ms in (10, 10, 10, 200, 400):  # mostly fast, but stalls: mean of the four fastest 57.5
        t.record(2, ms)
    for ms in (30, 30, 30, 30, 900):  # one outlier is left out
        t.record(1, ms)
    assert t.mean_ms(1) == 30.0 and t.best() == 1
    with pytest.raises(ValueError):
        ThreadTuner(())


def test_engine_threads_adapt_unless_fixed(tiny_stylegan2_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.api import RenderRequest
    from engine.runtime import Engine
    from engine.threads import thread_candidates

    monkeypatch.delenv("LATENTLAB_THREADS", raising=False)
    with Engine("cpu") as eng:
        assert eng.adaptive and eng.thread_policy().startswith("adaptive")
        eng.load_sync(tiny_stylegan2_path, "tiny", timeout=60)
        for seed in range(8):
            done = []
            eng.submit("main", RenderRequest("tiny", seed=seed), done.append)
            deadline = time.monotonic() + 60
            while not done and time.monotonic() < deadline:  # (the engine interleaves requests and jobs)
                time.sleep(0.01)
            assert done and done[0].ok
        tuner = eng._tuners["tiny"]
        assert tuner.current in thread_candidates(eng.threads)
        assert all(tuner.mean_ms(c) is not None for c in tuner.candidates)  # every count was measured
        # The count of the last render is set on the engine thread (the tuner may already have moved on).
        assert eng.call(lambda ctx: torch.get_num_threads(), timeout=60) in tuner.candidates
    monkeypatch.setenv("LATENTLAB_THREADS", "1")
    with Engine("cpu") as eng:
        assert not eng.adaptive and eng.thread_policy() == "fixed 1"
    assert not Engine("cpu", threads=2).adaptive
