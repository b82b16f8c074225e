"""The trainer: a tiny StyleGAN2 run, its events, exact resume, and resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.checkpoints.native import load_native
from training.loop import TrainOptions, checkpoints, run

REPO = Path(__file__).resolve().parents[2]
TINY = {"z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": [16, 16, 8]}


class Collect:
    def __init__(self):
        self.events = []

    def emit(self, event, **fields):
        self.events.append({"event": event, **fields})
        return self.events[-1]


def _opts(out, steps, **kw):
    return TrainOptions(
        family="stylegan2",
        data="demo:emoji",
        resolution=16,
        out=str(out),
        batch=4,
        max_steps=steps,
        checkpoint_every=kw.pop("checkpoint_every", 2),
        sample_every=kw.pop("sample_every", 0),
        log_every=1,
        model=TINY,
        hparams={"r1_interval": 2, "pl_interval": 2},
        **kw,
    )


def _state(run_dir):
    step, path = checkpoints(Path(run_dir))[-1]
    return step, torch.load(path, weights_only=True)


def test_tiny_run_events_and_export(tmp_path):
    ev = Collect()
    out = run(_opts(tmp_path / "r", 4, sample_every=2), ev)
    kinds = [e["event"] for e in ev.events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    steps = [e for e in ev.events if e["event"] == "step"]
    assert [e["step"] for e in steps] == [1, 2, 3, 4]
    assert {"G", "D"} <= set(steps[0]["losses"]) and steps[-1]["images_per_s"] > 0
    assert any("G_pl" in e["losses"] for e in steps) and any("D_r1" in e["losses"] for e in steps)
    assert all(Path(e["path"]).exists() for e in ev.events if e["event"] == "sample")
    model = load_native(out)
    assert model.capabilities.resolution == 16
    assert model.meta["provenance"]["steps"] == 4
    assert "torch thread" in model.meta["provenance"]["hardware"]  # what the run ran on, for the manifest
    assert [s for s, _ in checkpoints(tmp_path / "r")] == [2, 4]


def test_resume_is_exact(tmp_path):
    run(_opts(tmp_path / "full", 4), Collect())
    run(_opts(tmp_path / "part", 2), Collect())
    run(_opts(tmp_path / "part", 4), Collect(), resume=True)
    s1, a = _state(tmp_path / "full")
    s2, b = _state(tmp_path / "part")
    assert s1 == s2 == 4
    for net in ("G", "D", "G_ema"):
        for k in a["trainer"][net]:
            torch.testing.assert_close(a["trainer"][net][k], b["trainer"][net][k], rtol=0, atol=0, msg=f"{net}.{k}")


@pytest.mark.slow
def test_sigkill_then_resume(tmp_path):
    """Kill a run with SIGKILL right after a checkpoint; --resume continues to the same weights."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "LATENTLAB_THREADS": "1"}
    cmd = [sys.executable, "-m", "training.run"]
    run_dir = tmp_path / "killed"
    # A first short in-process run writes run.json (the tiny config); the CLI resumes from it.
    run(_opts(run_dir, 2), Collect())
    proc = subprocess.Popen(
        [*cmd, "--resume", str(run_dir), "--max-steps", "1000"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = None
    for line in proc.stdout:
        ev = json.loads(line)
        if ev["event"] == "checkpoint" and ev["step"] >= 6:
            seen = ev["step"]
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(60)
    assert seen is not None and proc.returncode == -signal.SIGKILL
    target = seen + 2
    res = subprocess.run(
        [*cmd, "--resume", str(run_dir), "--max-steps", str(target)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    events = [json.loads(x) for x in res.stdout.splitlines()]
    assert events[0]["event"] == "resumed" and events[0]["step"] >= seen
    # Reference: the same run without interruption.
    ref_dir = tmp_path / "ref"
    run(_opts(ref_dir, 2), Collect())
    subprocess.run(
        [*cmd, "--resume", str(ref_dir), "--max-steps", str(target)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    sa, a = _state(run_dir)
    sb, b = _state(ref_dir)
    assert sa == sb == target
    for k in a["trainer"]["G_ema"]:
        torch.testing.assert_close(a["trainer"]["G_ema"][k], b["trainer"]["G_ema"][k], rtol=0, atol=0)
    assert not list(run_dir.glob("*.tmp")), "a temporary checkpoint file was left behind"
