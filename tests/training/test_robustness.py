"""The loop under failure: a diverging loss, a full disk, unusable data (each refused with a message)."""

from __future__ import annotations

import errno

import numpy as np
import pytest
import torch

from app.cli import main as cli_main
from training import loop
from training.loop import TrainingError, TrainOptions, checkpoints, run
from training.run import main as train_main

TINY_DCGAN = {"z_dim": 8, "ngf": 8, "ndf": 8}


class Collect:
    def __init__(self):
        self.events = []

    def emit(self, event, **fields):
        self.events.append({"event": event, **fields})
        return self.events[-1]

    def of(self, kind):
        return [e for e in self.events if e["event"] == kind]


@pytest.fixture
def tiny_npz(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    np.savez(path, images=rng.integers(0, 256, (32, 16, 16, 1), dtype=np.uint8))
    return path


def _opts(out, data, steps=6, **kw):
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


def _poison_from(monkeypatch, bad_step):
    """Make the generator's weights NaN before step ``bad_step`` (0-based), as a diverging run would."""
    real = loop.make_trainer

    def make(*a, **kw):
        trainer = real(*a, **kw)
        step = trainer.step

        def poisoned(batch, i):
            if i == bad_step:
                with torch.no_grad():
                    next(trainer.G.parameters()).fill_(float("nan"))
            return step(batch, i)

        trainer.step = poisoned
        return trainer

    monkeypatch.setattr(loop, "make_trainer", make)


@pytest.mark.parametrize("log_every", [2, 10], ids=["caught-at-log", "caught-at-checkpoint"])
def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, tiny_npz, monkeypatch, log_every):
    _poison_from(monkeypatch, 2)  # steps 1-2 are good (checkpoint at 2); step 3 diverges
    ev = Collect()
    with pytest.raises(TrainingError, match="non-finite loss"):
        run(_opts(tmp_path / "r", tiny_npz, log_every=log_every), ev)
    assert [s for s, _ in checkpoints(tmp_path / "r")] == [2]
    (err,) = ev.of("error")
    assert "diverged" in err["message"] and err["last_checkpoint"].endswith("ckpt-0000002.pt")
    assert not ev.of("done")
    state = torch.load(checkpoints(tmp_path / "r")[-1][1], weights_only=True)
    assert all(torch.isfinite(v).all() for v in state["trainer"]["G"].values() if v.is_floating_point())


def test_nan_loss_exits_non_zero_from_cli(tmp_path, tiny_npz, monkeypatch, capsys):
    _poison_from(monkeypatch, 0)
    argv = [
        "--family",
        "dcgan",
        "--data",
        str(tiny_npz),
        "--resolution",
        "16",
        "--channels",
        "1",
        "--out",
        str(tmp_path / "r"),
        "--batch",
        "4",
        "--max-steps",
        "4",
        "--log-every",
        "1",
    ]
    monkeypatch.setattr("training.run.options_from_args", _with_model(TINY_DCGAN))
    assert train_main(argv) == 1
    captured = capsys.readouterr()
    assert "error: training diverged" in captured.err
    assert '"event": "error"' in captured.out and '"event": "done"' not in captured.out
    assert checkpoints(tmp_path / "r") == []


def _with_model(model):
    from training import run as run_mod

    real = run_mod.options_from_args

    def options(args):
        import dataclasses

        opts, resume = real(args)
        return dataclasses.replace(opts, model=model), resume

    return options


def test_full_disk_keeps_previous_checkpoint(tmp_path, tiny_npz, monkeypatch):
    real_save = torch.save
    calls = {"n": 0}

    def save(obj, f, *a, **kw):
        calls["n"] += 1
        if calls["n"] > 1:  # the first checkpoint is written, the second hits a full disk mid-write
            f.write(b"partial")  # the checkpoint is written to an open temporary file
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, f, *a, **kw)

    monkeypatch.setattr(torch, "save", save)
    ev = Collect()
    with pytest.raises(TrainingError, match="no space left on device"):
        run(_opts(tmp_path / "r", tiny_npz), ev)
    run_dir = tmp_path / "r"
    assert [s for s, _ in checkpoints(run_dir)] == [2]
    assert not list(run_dir.glob("*.tmp*")) and not list(run_dir.glob(".*.tmp*"))
    (err,) = ev.of("error")
    assert "ckpt-0000004.pt" in err["message"] and err["last_checkpoint"].endswith("ckpt-0000002.pt")
    monkeypatch.setattr(torch, "save", real_save)
    state = torch.load(checkpoints(run_dir)[-1][1], weights_only=True)
    assert state["step"] == 2
    # The run resumes from the intact checkpoint once there is space again.
    ev2 = Collect()
    run(_opts(run_dir, tiny_npz), ev2, resume=True)
    assert ev2.of("resumed")[0]["step"] == 2 and ev2.of("done")[0]["step"] == 6


def _bad_data(tmp_path, kind):
    if kind == "empty-folder":
        (tmp_path / "empty").mkdir()
        return tmp_path / "empty", "contains no images"
    if kind == "no-images-folder":
        d = tmp_path / "texts"
        d.mkdir()
        (d / "readme.txt").write_text("not an image")
        return d, "contains no images"
    if kind == "unreadable-folder":
        d = tmp_path / "broken"
        d.mkdir()
        (d / "a.png").write_bytes(b"not a png")
        return d, "could be read"
    if kind == "npz-no-images":
        np.savez(tmp_path / "x.npz", pictures=np.zeros((4, 8, 8), np.uint8))
        return tmp_path / "x.npz", "expected 'images'"
    if kind == "npz-wrong-shape":
        np.savez(tmp_path / "x.npz", images=np.zeros((4, 64), np.uint8))
        return tmp_path / "x.npz", "expected uint8"
    if kind == "npz-empty":
        np.savez(tmp_path / "x.npz", images=np.zeros((0, 8, 8, 3), np.uint8))
        return tmp_path / "x.npz", "holds no images"
    if kind == "other-file":
        (tmp_path / "x.csv").write_text("1,2\n")
        return tmp_path / "x.csv", "give a folder of images"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "empty-folder",
        "no-images-folder",
        "unreadable-folder",
        "npz-no-images",
        "npz-wrong-shape",
        "npz-empty",
        "other-file",
    ],
)
def test_unusable_data_refused_before_training(tmp_path, kind, capsys):
    data, expected = _bad_data(tmp_path, kind)
    out = tmp_path / "run"
    code = cli_main(["train", "--preset", "tiny-dcgan", "--data", str(data), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("latentlab train: error:") and expected in line
    assert '"event": "error"' in captured.out and '"event": "start"' not in captured.out
    assert not out.exists()
