"""The Train window: a tiny run started, watched, paused, continued, stopped, resumed and opened in the explorer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def train_window(qtbot, monkeypatch, tmp_path):
    from app.train_window import TrainWindow

    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the child imports this checkout's training package
    monkeypatch.setenv("LATENTLAB_THREADS", "1")
    monkeypatch.chdir(REPO)
    win = TrainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.last_error is not None:
        win.last_error.close()
    win.shutdown(10_000)


def _setup(win, tmp_path, steps=6):
    rng = np.random.default_rng(0)
    data = tmp_path / "tiny.npz"
    np.savez(data, images=rng.integers(0, 256, (40, 16, 16, 1), dtype=np.uint8))
    win.preset_box.setCurrentIndex(win.preset_box.findData("tiny-dcgan"))
    win.data_box.setCurrentText(str(data))
    win.out_edit.setText(str(tmp_path / "run"))
    for key, value in {"max_steps": steps, "checkpoint_every": 3, "sample_every": 3, "log_every": 1}.items():
        win.int_edits[key].setValue(value)
    win.extra_edit.setText('{"precise_bn_batches": 1}')
    return data


def _done(win):
    return any(e["event"] == "done" for e in win.events) and not win.process.running


def test_form_is_prefilled_from_the_preset(train_window):
    win = train_window
    win.preset_box.setCurrentIndex(win.preset_box.findData("emoji-stylegan2"))
    assert win.data_box.currentText() == "demo:emoji"
    assert win.int_edits["batch"].value() == 24 and win.int_edits["resolution"].value() == 64
    assert win.xflip_check.isChecked() and win.channels_box.currentData() == 3
    assert set(win.hparams()) == {"r1_gamma", "pl_weight", "ema_kimg"}
    win._hparam_edits["r1_gamma"].setText("0.2")
    win.extra_edit.setText('{"lr": 0.001}')
    args = win.run_args()
    assert json.loads(args[args.index("--hparams") + 1]) == {
        "r1_gamma": 0.2,
        "pl_weight": 2.0,
        "ema_kimg": 5.0,
        "lr": 0.001,
    }
    win.extra_edit.setText("{oops")
    win.start()
    assert win.last_error is not None and "not JSON" in win.last_error.text()
    assert not win.process.running
    assert "classifier" not in [win.preset_box.itemData(i) for i in range(win.preset_box.count())]


def test_tiny_run_live_then_resume_and_open(train_window, qtbot, tmp_path):
    win = train_window
    _setup(win, tmp_path)
    win.start()
    qtbot.waitUntil(lambda: _done(win), timeout=4 * WAIT_MS)
    assert win.last_error is None, win.last_error and win.last_error.text()
    assert win.data_label.text().startswith("40 images at 16px")
    assert {"loss_D", "D_real", "D_fake"} <= set(win.curves)
    xs, ys = win.points["loss_D"]
    assert xs == [1, 2, 3, 4, 5, 6] and all(np.isfinite(ys))
    assert list(win.curves["loss_D"].getData()[0]) == xs
    assert win.progress.value() == 6 and win.progress.maximum() == 6
    assert "images/s" in win.speed_label.text() and win.speed_label.text() != "– images/s"
    assert win.sample_path.endswith("step-0000006.png")
    pix = win.sample_label.pixmap()
    assert pix is not None and not pix.isNull() and pix.width() >= 4 * 16
    assert win.resume_button.isEnabled() and win.open_button.isEnabled() and not win.stop_button.isEnabled()

    # Start refuses to overwrite the run; Resume continues it with the earlier curve kept.
    win.start()
    assert "Resume" in win.last_error.text()
    win.last_error.close()
    win.last_error = None
    win.int_edits["max_steps"].setValue(9)
    win.resume()
    assert win.points["loss_D"][0] == xs  # the curve so far, from events.jsonl
    qtbot.waitUntil(lambda: _done(win), timeout=4 * WAIT_MS)
    assert win.last_error is None
    assert win.points["loss_D"][0] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert [e["step"] for e in win.events if e["event"] == "resumed"] == [6]

    with qtbot.waitSignal(win.open_model_requested, timeout=1000) as sig:
        win.open_button.click()
    assert sig.args == [str(tmp_path / "run" / "model.safetensors")]


def test_bad_data_is_refused_before_training(train_window, qtbot, tmp_path):
    win = train_window
    _setup(win, tmp_path)
    (tmp_path / "empty").mkdir()
    win.data_box.setCurrentText(str(tmp_path / "empty"))
    win.start()
    qtbot.waitUntil(lambda: win.last_error is not None and not win.process.running, timeout=WAIT_MS)
    assert "contains no images" in win.last_error.text()
    assert not any(e["event"] == "start" for e in win.events)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_stop_checkpoints_and_resume_continues(train_window, qtbot, tmp_path):
    """Stop during a long run ("stop" on stdin): the trainer checkpoints at the step it reached and exits."""
    win = train_window
    _setup(win, tmp_path, steps=100_000)
    win.start()
    qtbot.waitUntil(lambda: any(e["event"] == "step" for e in win.events), timeout=4 * WAIT_MS)
    assert win.stop_button.isEnabled()
    win.stop_button.click()
    qtbot.waitUntil(lambda: _done(win), timeout=4 * WAIT_MS)
    done = [e for e in win.events if e["event"] == "done"][0]
    assert done["stopped"] is True and done["step"] < 100_000
    ckpt = [e for e in win.events if e["event"] == "checkpoint"][-1]
    assert ckpt["step"] == done["step"] and Path(ckpt["path"]).exists()
    assert win.resume_button.isEnabled()


def test_pause_holds_the_process_and_continue_goes_on(train_window, qtbot, tmp_path):
    """Pause: a checkpoint, then no step until Continue; the paused model opens in the explorer; Stop."""
    win = train_window
    _setup(win, tmp_path, steps=100_000)
    assert not win.pause_button.isEnabled()
    win.start()
    qtbot.waitUntil(lambda: any(e["event"] == "step" for e in win.events), timeout=4 * WAIT_MS)
    assert win.pause_button.isEnabled() and win.pause_button.text() == "Pause"
    win.pause_button.click()
    assert not win.pause_button.isEnabled() and win.status_label.text().startswith("pausing")
    qtbot.waitUntil(lambda: win.pause_button.isEnabled(), timeout=4 * WAIT_MS)
    assert win.pause_button.text() == "Continue" and win.process.running
    paused = [e for e in win.events if e["event"] == "paused"][0]
    assert win.status_label.text() == f"paused at step {paused['step']}"
    assert [e["step"] for e in win.events if e["event"] == "checkpoint"][-1] == paused["step"]
    with qtbot.waitSignal(win.open_model_requested, timeout=1000) as sig:
        win.open_button.click()  # the paused state, exported with its checkpoint
    assert sig.args == [str(tmp_path / "run" / "model.safetensors")]

    n = len(win.events)
    qtbot.wait(300)  # a running trainer logs a step every step (log_every 1); a paused one does not
    win.pause_button.click()
    assert not win.pause_button.isEnabled()
    qtbot.waitUntil(lambda: any(e["event"] == "continued" for e in win.events), timeout=4 * WAIT_MS)
    between = win.events[n : [e["event"] for e in win.events].index("continued")]
    assert not [e for e in between if e["event"] == "step"]
    assert win.pause_button.text() == "Pause" and win.pause_button.isEnabled()
    assert win.status_label.text() == f"training (continued at step {paused['step']})"
    qtbot.waitUntil(lambda: win.progress.value() > paused["step"], timeout=4 * WAIT_MS)

    win.stop_button.click()
    qtbot.waitUntil(lambda: _done(win), timeout=4 * WAIT_MS)
    assert win.last_error is None, win.last_error and win.last_error.text()
    done = [e for e in win.events if e["event"] == "done"][0]
    assert done["stopped"] is True and done["step"] > paused["step"]
    assert not win.pause_button.isEnabled() and win.pause_button.text() == "Pause"
    assert win.resume_button.isEnabled()


def test_menu_opens_train_window(window, qtbot):
    window.train_action.trigger()
    tw = window.train_window
    assert tw is not None and tw.isVisible()
    window.train_action.trigger()
    assert window.train_window is tw
    tw.close()


def test_checkpoint_metrics_show_kid_alone_when_fid_was_not_measured(train_window):
    # with fewer real images than FID needs (129 for the 128-d classifier), the event carries KID only
    train_window.on_event({"event": "metrics", "step": 4, "n": 6, "fid": None, "kid_mean": 0.25})
    assert train_window.metrics_label.text() == "KID 0.25 (step 4, 6 images)"
    train_window.on_event({"event": "metrics", "step": 8, "n": 2000, "fid": 12.34, "kid_mean": 0.01})
    assert train_window.metrics_label.text() == "FID 12.3 · KID 0.01 (step 8, 2000 images)"
