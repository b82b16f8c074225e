"""Pause / continue / checkpoint / stop of a running loop: the control object, in-process, and over stdin."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from training import loop
from training.control import RunControl, Stopwatch, fd_lines
from training.loop import TrainOptions, checkpoints, run

REPO = Path(__file__).resolve().parents[2]
TINY_DCGAN = {"z_dim": 8, "ngf": 8, "ndf": 8}


@pytest.fixture
def tiny_npz(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    np.savez(path, images=rng.integers(0, 256, (32, 16, 16, 1), dtype=np.uint8))
    return path


def _opts(out, data, steps):
    return TrainOptions(
        family="dcgan", data=str(data), resolution=16, channels=1, out=str(out), batch=4, max_steps=steps,
        checkpoint_every=0, sample_every=0, log_every=1, model=TINY_DCGAN, hparams={"precise_bn_batches": 1},
    )  # fmt: skip


def test_commands_and_end_of_input():
    c = RunControl()
    assert not c.paused and not c.stop_requested and not c.take_checkpoint_request()
    assert c.submit("pause\n") and c.paused
    assert c.submit("  Continue ") and not c.paused
    assert c.submit("pause") and c.submit("resume") and not c.paused
    assert c.submit("checkpoint") and c.take_checkpoint_request() and not c.take_checkpoint_request()
    assert not c.submit("jump") and not c.paused and not c.stop_requested
    c.close()  # end of input while running: the run goes on
    assert not c.stop_requested
    c.read_lines(["pause\n", "\n"])  # end of input while paused: it could never continue, so it stops
    assert c.paused and c.stop_requested


def test_fd_lines_reads_a_pipe_to_its_end():
    r, w = os.pipe()
    os.write(w, b"pause\ncontinue\nsto")
    os.write(w, b"p")
    os.close(w)
    assert list(fd_lines(r)) == ["pause", "continue", "stop"]
    os.close(r)


def test_wait_returns_on_continue_from_another_thread():
    c = RunControl()
    c.submit("pause")
    woke = []

    def waiter():
        c.wait_for_command()
        woke.append(c.paused)

    t = threading.Thread(target=waiter)
    t.start()
    c.submit("continue")
    t.join(30)
    assert woke == [False]


def test_stopwatch_leaves_out_paused_time():
    now = [100.0]
    clock = Stopwatch(lambda: now[0])
    now[0] = 103.0
    clock.pause()
    now[0] = 1000.0
    assert clock.elapsed == 3.0  # frozen while paused
    assert clock.resume() == 897.0
    now[0] = 1002.0
    assert clock.elapsed == 5.0
    assert clock.resume() == 0.0  # not paused: nothing to end


class Driver:
    """An event sink that drives the run: pause after step 1, checkpoint and continue while paused
    (from another thread, as the stdin reader does), stop after step 2.

    The loop runs on this thread; a fake clock jumps 1000 s while it is paused, so the images/s
    and elapsed time it reports afterwards show whether paused time was left out."""

    def __init__(self, control: RunControl, clock: list[float]):
        self.control = control
        self.clock = clock
        self.events: list[dict] = []
        self.thread: threading.Thread | None = None

    def emit(self, event, **fields):
        self.events.append({"event": event, **fields})
        if event == "step" and fields["step"] == 1:
            self.control.submit("pause")
        elif event == "paused":
            self.thread = threading.Thread(target=self._while_paused)
            self.thread.start()
        elif event == "step" and fields["step"] == 2:
            self.control.submit("stop")
        return self.events[-1]

    def _while_paused(self):
        n = len(self.events)
        self.control.submit("checkpoint")  # served while paused: the loop wakes, saves, waits again
        while not any(e["event"] == "checkpoint" for e in self.events[n:]):
            time.sleep(0.01)
        self.clock[0] += 1000.0
        self.control.submit("continue")


def test_pause_blocks_steps_until_continue(tmp_path, tiny_npz, monkeypatch):
    offset = [0.0]
    real = time.perf_counter
    monkeypatch.setattr(loop, "Stopwatch", lambda: Stopwatch(lambda: real() + offset[0]))
    control = RunControl()
    ev = Driver(control, offset)
    run(_opts(tmp_path / "r", tiny_npz, 1000), ev, control=control)
    ev.thread.join(30)
    kinds = ("step", "paused", "checkpoint", "continued")
    seq = [(e["event"], e.get("step")) for e in ev.events if e["event"] in kinds]
    assert seq == [
        ("step", 1),
        ("paused", 1),
        ("checkpoint", 1),  # no step between paused and continued
        ("continued", 1),
        ("step", 2),
        ("checkpoint", 2),  # stop: checkpoint at the step reached
    ]
    cont = next(e for e in ev.events if e["event"] == "continued")
    assert cont["paused_s"] >= 1000.0
    after = [e for e in ev.events if e["event"] == "step" and e["step"] == 2]
    assert after and after[0]["elapsed_s"] < 1000.0 and after[0]["images_per_s"] > 2 * 4 / 1000.0
    done = ev.events[-1]
    assert done["event"] == "done" and done["stopped"] is True and done["step"] == 2
    assert [s for s, _ in checkpoints(tmp_path / "r")] == [1, 2]


def _train_cmd(out, data, *extra):
    return [
        sys.executable, "-m", "training.run", "--family", "dcgan", "--data", str(data), "--resolution", "16",
        "--channels", "1", "--out", str(out), "--batch", "4", "--max-steps", "100000", "--checkpoint-every", "0",
        "--sample-every", "0", "--log-every", "1", "--hparams", '{"precise_bn_batches": 1, "ema_beta": 0.9}', *extra,
    ]  # fmt: skip


class Child:
    """``latentlab train --control stdin`` in a subprocess, read event by event."""

    def __init__(self, out, data):
        env = {**os.environ, "PYTHONPATH": str(REPO), "LATENTLAB_THREADS": "1"}
        self.proc = subprocess.Popen(
            _train_cmd(out, data, "--control", "stdin"), cwd=REPO, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.events: list[dict] = []

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def until(self, pred):
        for line in self.proc.stdout:
            self.events.append(json.loads(line))
            if pred(self.events[-1]):
                return self.events[-1]
        raise AssertionError(f"the run ended first: {self.proc.stderr.read()}")

    def finish(self):
        self.events += [json.loads(x) for x in self.proc.stdout]
        self.proc.wait(60)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def test_stdin_pause_continue_stop(tmp_path, tiny_npz):
    child = Child(tmp_path / "r", tiny_npz)
    try:
        child.until(lambda e: e["event"] == "step" and e["step"] >= 2)
        child.send("pause")
        paused = child.until(lambda e: e["event"] == "paused")
        n = len(child.events)
        child.send("checkpoint")  # answered while paused: the process is alive and still at that step
        ckpt = child.until(lambda e: e["event"] == "checkpoint")
        assert ckpt["step"] == paused["step"]
        child.send("continue")
        cont = child.until(lambda e: e["event"] == "continued")
        assert not [e for e in child.events[n:] if e["event"] == "step"]
        assert cont["step"] == paused["step"]
        child.until(lambda e: e["event"] == "step" and e["step"] > paused["step"])
        child.send("stop")
        assert child.finish() == 0
    finally:
        child.kill()
    done = child.events[-1]
    assert done["event"] == "done" and done["stopped"] is True and done["step"] > paused["step"]
    assert checkpoints(tmp_path / "r")[-1][0] == done["step"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_wakes_a_paused_run_and_stops_it(tmp_path, tiny_npz):
    child = Child(tmp_path / "r", tiny_npz)
    try:
        child.until(lambda e: e["event"] == "step")
        child.send("pause")
        paused = child.until(lambda e: e["event"] == "paused")
        child.proc.send_signal(signal.SIGTERM)
        assert child.finish() == 0
    finally:
        child.kill()
    done = child.events[-1]
    assert done["event"] == "done" and done["stopped"] is True and done["step"] == paused["step"]
    assert not any(e["event"] == "continued" for e in child.events)
    assert checkpoints(tmp_path / "r")[-1][0] == paused["step"]


@pytest.mark.slow
def test_end_of_input_while_paused_stops_with_a_checkpoint(tmp_path, tiny_npz):
    child = Child(tmp_path / "r", tiny_npz)
    try:
        child.until(lambda e: e["event"] == "step")
        child.send("pause")
        paused = child.until(lambda e: e["event"] == "paused")
        child.proc.stdin.close()  # the GUI went away
        assert child.finish() == 0
    finally:
        child.kill()
    done = child.events[-1]
    assert done["event"] == "done" and done["stopped"] is True and done["step"] == paused["step"]
