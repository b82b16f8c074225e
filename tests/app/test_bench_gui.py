"""``latentlab bench gui``: it drives the real window for a few frames and reports its figures, and its
busy processes never outlive it (no timing is asserted: performance is measured, not tested)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.bench_gui import busy_processes
from app.cli import main

pytestmark = pytest.mark.qt
REPO = Path(__file__).resolve().parents[2]


def _ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie has ended (nobody may reap an orphan in a container)


def test_bench_gui_reports_latency_under_load(qapp, model_files, capsys) -> None:
    rc = main(["bench", "gui", str(model_files["m16"]), "--frames", "3", "--warmup", "1", "--load", "1", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    r = json.loads(captured.out)
    for key in ("median_ms", "p95_ms", "fps", "load", "model", "threads", "frames"):
        assert key in r, key
    assert r["load"] == 1 and r["frames"] == 3 and r["model"] == "m16" and r["threads"] >= 1
    assert 0 < r["median_ms"] <= r["p95_ms"] and r["fps"] > 0


def test_bench_gui_text_output_and_a_model_without_latent(qapp, model_files, capsys, tmp_path) -> None:
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    assert main(["bench", "gui", str(model_files["m16"]), "--frames", "2", "--warmup", "0"]) == 0
    text = capsys.readouterr().out
    assert "median" in text and "fps" in text and "load" in text
    torch.manual_seed(0)
    fam = get_family("cyclegan")
    path = save_native(fam.new(fam.tiny_config()), tmp_path / "cyc.safetensors")
    assert main(["bench", "gui", str(path), "--frames", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not render from a latent" in err[0]
    assert main(["bench", "gui", "--load", "-1"]) == 2


def test_busy_processes_stop_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), busy_processes(2) as procs:
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
        raise RuntimeError("the benchmark failed")
    assert all(p.poll() is not None for p in procs)


def test_busy_processes_end_when_their_parent_is_killed() -> None:
    code = (
        "import os, sys; from app.bench_gui import busy_processes\n"
        "with busy_processes(1) as procs:\n"
        "    print(procs[0].pid, flush=True); os.kill(os.getpid(), 9)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 30
    while not _ended(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ended(pid)
