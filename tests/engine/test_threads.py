"""The CPU thread policy: a passive OpenMP wait set before torch loads, the thread count, per thread."""

from __future__ import annotations

import os
import subprocess
import sys
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
