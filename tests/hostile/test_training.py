"""Findings 2, 10 and 11: a run folder has one owner; resume survives a truncated checkpoint, temp
files and a kill between write and prune; bad options and labels are refused up front; a full disk
during ``torch.save`` is an ``error`` event and one line."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.hostile.hostile_files import REPO
from training import loop
from training.loop import TrainingError, TrainOptions, checkpoints, run
from training.run import main as train_main
from training.run_lock import RunLock, RunLockedError

TINY_DCGAN = {"z_dim": 8, "ngf": 8, "ndf": 8}
ENV = {**os.environ, "PYTHONPATH": str(REPO), "LATENTLAB_THREADS": "1"}


class Collect:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def emit(self, event: str, **fields) -> dict:
        self.events.append({"event": event, **fields})
        return self.events[-1]

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]


@pytest.fixture
def tiny_npz(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    np.savez(path, images=rng.integers(0, 256, (32, 16, 16, 1), dtype=np.uint8))
    return path


def _opts(out: Path, data: Path, steps: int = 6, **kw) -> TrainOptions:
    base = {"checkpoint_every": 2, "log_every": 2, "sample_every": 0}
    base.update(kw)
    return TrainOptions(
        family="dcgan",
        data=str(data),
        resolution=16,
        channels=1,
        out=str(out),
        batch=4,
        max_steps=steps,
        model=TINY_DCGAN,
        hparams={"precise_bn_batches": 1},
        **base,
    )


def _cli(out: Path, data: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "training.run",
        "--family",
        "dcgan",
        "--data",
        str(data),
        "--resolution",
        "16",
        "--channels",
        "1",
        "--batch",
        "4",
        "--out",
        str(out),
        "--hparams",
        json.dumps({"precise_bn_batches": 1}),
        *extra,
    ]


def _weights(path: Path) -> dict:
    return torch.load(path, weights_only=True)["trainer"]


def _assert_same_state(a: dict, b: dict) -> None:
    for net in a:
        if isinstance(a[net], dict):
            for k, v in a[net].items():
                if isinstance(v, torch.Tensor):
                    torch.testing.assert_close(v, b[net][k], rtol=0, atol=0, msg=f"{net}.{k}")


# --- finding 2: one process per run folder --------------------------------------------------------
def test_second_train_on_the_same_folder_exits_2_naming_the_holder(tmp_path: Path, tiny_npz: Path) -> None:
    out = tmp_path / "run"
    first = subprocess.Popen(
        _cli(out, tiny_npz, "--max-steps", "100000", "--checkpoint-every", "4", "--control", "stdin"),
        cwd=REPO,
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None and first.stdin is not None
        for line in first.stdout:
            if json.loads(line)["event"] == "checkpoint":
                break
        run_json = (out / "run.json").read_text()
        second = subprocess.run(
            _cli(out, tiny_npz, "--max-steps", "3", "--seed", "7"),
            cwd=REPO,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert first.poll() is None, "the second run waited for the first one"
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith("latentlab train: error: ") and f"PID {first.pid}" in lines[0]
        assert str(out) in lines[0]
        first.stdin.write("stop\n")
        first.stdin.flush()
        first.wait(120)
        assert first.returncode == 0, first.stderr.read() if first.stderr else ""
    finally:
        if first.poll() is None:
            first.kill()
    # The first run's files are its own: run.json untouched by the second, checkpoints and model readable.
    assert (out / "run.json").read_text() == run_json and json.loads(run_json)["seed"] == 0
    from engine.checkpoints.native import load_native

    assert load_native(out / "model.safetensors").capabilities.resolution == 16
    for _, p in checkpoints(out):
        assert _weights(p)


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path, tiny_npz: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / ".lock").write_text("999999\n")  # written by a process that no longer exists (no flock held)
    run(_opts(out, tiny_npz, steps=2), Collect())
    assert [s for s, _ in checkpoints(out)] == [2]
    with RunLock(out), pytest.raises(RunLockedError, match=f"PID {os.getpid()}"):  # released after the run
        RunLock(out).acquire()


def test_unusable_data_leaves_no_folder_behind(tmp_path: Path) -> None:
    from training.data import DataError

    with pytest.raises(DataError):
        run(_opts(tmp_path / "new-run", tmp_path / "missing.npz"), Collect())
    assert not (tmp_path / "new-run").exists()


# --- finding 10: resume after a corrupt checkpoint, temp files, a kill between write and prune ----
def test_resume_skips_a_truncated_checkpoint_and_ends_bit_identical(
    tmp_path: Path, tiny_npz: Path, capsys: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "run"
    run(_opts(out, tiny_npz, steps=6), Collect())
    assert [s for s, _ in checkpoints(out)] == [2, 4, 6]
    newest = out / "ckpt-0000006.pt"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # a disk that filled up
    # named as atomic_output names them (8 random characters, the output's suffix)
    temps = [out / ".ckpt-0000008.pt.k1l2m3n4.tmp.pt", out / ".run.json.a1b2c3d4.tmp.json"]
    for t in temps:
        t.write_bytes(b"partial write of a killed process")
    look_alike = out / ".ckpt-notes.x9y8z7.tmp"  # not a name atomic_output makes: not ours, kept
    look_alike.write_bytes(b"the user's")
    capsys.readouterr()
    assert train_main(["--resume", str(out), "--max-steps", "8"]) == 0
    captured = capsys.readouterr()
    events = [json.loads(x) for x in captured.out.splitlines()]
    resumed = next(e for e in events if e["event"] == "resumed")
    assert resumed["step"] == 4 and resumed["checkpoint"].endswith("ckpt-0000004.pt")
    assert resumed["skipped"][0]["checkpoint"] == "ckpt-0000006.pt"
    warned = [r.getMessage() for r in caplog.records if "ckpt-0000006.pt" in r.getMessage()]
    assert len(warned) == 1 and "skipping unreadable checkpoint ckpt-0000006.pt: " in warned[0]
    assert "truncated" in warned[0]
    assert not any(t.exists() for t in temps) and look_alike.read_bytes() == b"the user's"
    assert (out / "ckpt-0000006.pt.unreadable").exists()  # set aside, not deleted
    # Bit-identical to an uninterrupted run to step 8.
    ref = tmp_path / "ref"
    run(_opts(ref, tiny_npz, steps=8), Collect())
    _assert_same_state(_weights(out / "ckpt-0000008.pt"), _weights(ref / "ckpt-0000008.pt"))


def test_resume_reapplies_keep(tmp_path: Path, tiny_npz: Path) -> None:
    out = tmp_path / "run"
    run(_opts(out, tiny_npz, steps=6, keep=3), Collect())
    assert len(checkpoints(out)) == 3
    ev = Collect()
    run(_opts(out, tiny_npz, steps=6, keep=2), ev, resume=True)  # as if killed between write and prune
    assert [s for s, _ in checkpoints(out)] == [4, 6]


def test_resume_with_no_readable_checkpoint_is_one_line(tmp_path: Path, tiny_npz: Path) -> None:
    out = tmp_path / "run"
    run(_opts(out, tiny_npz, steps=2), Collect())
    (out / "ckpt-0000002.pt").write_bytes(b"PK\x03\x04 garbage")
    from training.data import DataError

    with pytest.raises(DataError, match="cannot resume: none of its 1 checkpoint"):
        run(_opts(out, tiny_npz, steps=4), Collect(), resume=True)


# --- finding 11: refused up front, labels, full disk, divergence message --------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--batch", "0"], "--batch must be in 1..65536, got 0"),
        (["--max-steps", "-1"], "--max-steps must be in 0.."),
        (["--resolution", "1048576"], "--resolution must be a power of two from 4 to 4096, got 1048576"),
        (["--hparams", '{"lr": "abc"}'], "hparams.lr must be a number, got 'abc'"),
        (["--hparams", '{"lr": NaN}'], "hparams.lr must be a finite number"),
    ],
)
def test_bad_options_are_refused_with_one_line(
    tmp_path: Path, tiny_npz: Path, capsys: pytest.CaptureFixture, args: list[str], needle: str
) -> None:
    base = ["--family", "dcgan", "--data", str(tiny_npz), "--resolution", "16", "--out", str(tmp_path / "r")]
    rc = train_main(base + ([] if "--max-steps" in args else ["--max-steps", "2"]) + args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("latentlab train: error: ") and needle in err[0], err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("labels", "needle"),
    [(np.array([0.0, np.nan] * 16), "NaN"), (np.array([0, 1] * 15 + [0, 100_000_000]), "outside the limit")],
)
def test_check_data_refuses_bad_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture, labels: np.ndarray, needle: str
) -> None:
    path = tmp_path / "labelled.npz"
    np.savez(path, images=np.zeros((32, 16, 16, 1), np.uint8), labels=labels)
    rc = train_main(
        ["--family", "dcgan", "--data", str(path), "--resolution", "16", "--out", str(tmp_path / "r"), "--check-data"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and needle in err[0], err


def _fsize_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (32_000, 32_000))


def test_full_disk_during_torch_save_is_an_error_event_and_one_line(tmp_path: Path, tiny_npz: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run(
        _cli(out, tiny_npz, "--max-steps", "4", "--checkpoint-every", "2"),
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_fsize_limit,
    )
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("latentlab train: error: could not write checkpoint"), err
    assert "inline_container" not in proc.stderr + proc.stdout
    events = [json.loads(x) for x in proc.stdout.splitlines()]
    assert events[-1]["event"] == "error" and "ckpt-0000002.pt" in events[-1]["message"]
    assert events[-1]["last_checkpoint"] is None
    assert not checkpoints(out) and not [p for p in out.iterdir() if ".tmp" in p.name]


def test_divergence_before_any_checkpoint_says_so(tmp_path: Path, tiny_npz: Path, monkeypatch) -> None:
    real = loop.make_trainer

    def make(*a, **kw):
        trainer = real(*a, **kw)
        step = trainer.step

        def poisoned(batch, i):
            with torch.no_grad():
                next(trainer.G.parameters()).fill_(float("nan"))
            return step(batch, i)

        trainer.step = poisoned
        return trainer

    monkeypatch.setattr(loop, "make_trainer", make)
    ev = Collect()
    with pytest.raises(TrainingError, match="before its first checkpoint") as e:
        run(_opts(tmp_path / "run", tiny_npz, steps=6, checkpoint_every=100), ev)
    assert "kept its last good checkpoint" not in str(e.value)
    assert ev.of("error")[0]["last_checkpoint"] is None
