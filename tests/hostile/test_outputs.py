"""Findings 1, 3 and 14 (umask), engine side: nothing the user made is lost, and no partial file is
left under a final name, whatever stops a write — an exception, a cancel, kill -9, SIGTERM, a full
disk (a small RLIMIT_FSIZE in a subprocess) or a read-only folder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import OutputError
from engine.fileio import atomic_open, atomic_output, atomic_write, atomic_write_text, remove_stale_temps
from engine.video import ExportCancelled, export_job, write_frames
from tests.hostile.hostile_files import REPO

OLD = b"the user's own file, which must survive\n" * 50


def _drive(job):
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def _frames(n: int, side: int = 16):
    for i in range(n):
        yield np.full((side, side, 3), (7 * i) % 256, np.uint8)


def _no_temp_files(folder: Path) -> None:
    left = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert not left, f"temporary files left behind: {left}"


# --- finding 1: a failed or cancelled write never deletes or changes an existing file -------------
def test_atomic_write_failure_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    old = tmp_path / "old.npy"
    old.write_bytes(OLD)

    def write(tmp: str) -> None:
        Path(tmp).write_bytes(b"half")
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        atomic_write(old, write)
    assert old.read_bytes() == OLD
    _no_temp_files(tmp_path)


def test_closing_a_generator_mid_write_is_a_cancel(tmp_path: Path) -> None:
    old = tmp_path / "grid.png"
    old.write_bytes(OLD)

    def job():
        with atomic_open(old) as f:
            for i in range(10):
                f.write(b"x" * 100)
                yield i

    g = job()
    next(g)
    next(g)
    g.close()  # what the engine does when a job is cancelled
    assert old.read_bytes() == OLD
    _no_temp_files(tmp_path)


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".webm"])
def test_cancelled_export_keeps_the_existing_video(tmp_path: Path, suffix: str) -> None:
    old = tmp_path / f"walk{suffix}"
    old.write_bytes(OLD)
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 6

    with pytest.raises(ExportCancelled):
        _drive(export_job(_frames(50), 50, old, fps=10, cancel=cancel))
    assert old.read_bytes() == OLD
    _no_temp_files(tmp_path)


def test_failed_render_keeps_the_existing_video(tmp_path: Path) -> None:
    old = tmp_path / "walk.mp4"
    old.write_bytes(OLD)

    def frames():
        yield from _frames(5)
        raise MemoryError("frame too large")  # e.g. --size 100000

    with pytest.raises(MemoryError):
        _drive(export_job(frames(), 20, old))
    assert old.read_bytes() == OLD
    _no_temp_files(tmp_path)


def test_writer_failure_keeps_the_existing_gif(tmp_path: Path) -> None:
    old = tmp_path / "walk.gif"
    old.write_bytes(OLD)
    bad = [np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.float32)]
    with pytest.raises(ValueError, match="uint8 HWC"):
        write_frames(iter(bad), old)
    assert old.read_bytes() == OLD
    _no_temp_files(tmp_path)


def test_cancelled_folder_export_keeps_existing_frames(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    out.mkdir()
    (out / "frame_00000.png").write_bytes(OLD)
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(ExportCancelled):
        _drive(export_job(_frames(10), 10, out, cancel=cancel))
    assert (out / "frame_00000.png").read_bytes() == OLD
    assert sorted(p.name for p in out.iterdir()) == ["frame_00000.png"]
    files = _drive(export_job(_frames(3), 3, out))
    assert [f.name for f in files] == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    assert (out / "frame_00000.png").read_bytes() != OLD


def test_a_finished_export_replaces_the_file(tmp_path: Path) -> None:
    old = tmp_path / "walk.gif"
    old.write_bytes(OLD)
    _drive(export_job(_frames(4), 4, old))
    assert old.read_bytes()[:6] == b"GIF89a"
    _no_temp_files(tmp_path)


def test_a_folder_or_fifo_at_the_output_path_is_never_replaced(tmp_path: Path) -> None:
    d = tmp_path / "taken.npy"
    d.mkdir()
    with pytest.raises(OutputError, match="taken.npy: exists and is not a regular file"):
        atomic_write_text(d, "x")
    fifo = tmp_path / "pipe.gif"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="pipe.gif"):
        write_frames(_frames(2), fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_sigterm_inside_sigterm_as_exit_leaves_no_temp_file(tmp_path: Path) -> None:
    old = tmp_path / "walk.mp4"
    old.write_bytes(OLD)
    script = "from engine.signals import sigterm_as_exit\nwith sigterm_as_exit():\n" + "".join(
        f"    {line}\n" for line in _EXPORT.strip().splitlines()
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(old)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 143
    assert old.read_bytes() == OLD
    _no_temp_files(tmp_path)


# --- finding 3: kill -9, SIGTERM and a full disk leave no partial file under the final name --------
_EXPORT = """
import contextlib, sys, time, numpy as np
from engine.video import export_job
def frames():
    for i in range(600):
        time.sleep(0.02)
        yield np.full((32, 32, 3), i % 256, np.uint8)
with contextlib.closing(export_job(frames(), 600, sys.argv[1], fps=30)) as job:  # as app.commands.common.drive
    for done, total, _ in job:
        if done == 12:
            print("started", flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_export_leaves_the_old_file(tmp_path: Path, sig: int) -> None:
    old = tmp_path / "walk.mp4"
    old.write_bytes(OLD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _EXPORT, str(old)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.2)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert old.read_bytes() == OLD
    # Whatever a kill leaves is a hidden temporary file, never a file under the final name.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["walk.mp4"]
    removed = remove_stale_temps(tmp_path, "walk.mp4")
    assert all(p.name.startswith(".walk.mp4.") for p in removed)
    _no_temp_files(tmp_path)


_FULL_DISK = """
import resource, signal, sys
import numpy as np, torch
from engine.fileio import atomic_open
from engine.video import write_frames
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
kind, path = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
try:
    if kind == "gif":
        write_frames((rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(40)), path)
    elif kind == "mp4":
        write_frames((rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(40)), path)
    elif kind == "npy":
        with atomic_open(path) as f:
            np.save(f, np.zeros(100_000, np.float32))
    elif kind == "pt":
        with atomic_open(path) as f:
            torch.save({"w": torch.zeros(100_000)}, f)
except Exception as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(2)
"""


@pytest.mark.parametrize("kind", ["gif", "npy", "pt", "mp4"])
def test_full_disk_keeps_the_old_file_and_names_it(tmp_path: Path, kind: str) -> None:
    old = tmp_path / f"out.{kind}"
    old.write_bytes(OLD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, kind, str(old)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    line = proc.stdout.strip()
    assert line.startswith(f"OutputError: {old}: cannot write"), line
    assert "\n" not in line and ".tmp" not in line
    assert old.read_bytes() == OLD
    _no_temp_files(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_names_the_final_file_not_the_temp(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.gif").write_bytes(OLD)
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError) as e:
            write_frames((np.zeros((8, 8, 3), np.uint8) for _ in range(3)), folder / "out.gif")
    finally:
        folder.chmod(0o755)
    assert str(e.value) == f"{folder / 'out.gif'}: cannot write (permission denied)"
    assert (folder / "out.gif").read_bytes() == OLD


def test_unwritable_folder_error_names_the_final_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a read-only folder does to the temporary file (also checked for real above, as non-root)."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".out.gif.abc123.tmp.gif"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError) as e:
        write_frames((np.zeros((8, 8, 3), np.uint8) for _ in range(3)), tmp_path / "out.gif")
    assert str(e.value) == f"{tmp_path / 'out.gif'}: cannot write (permission denied)"
    assert ".tmp" not in str(e.value)


# --- finding 14: outputs take the umask, not 0600 -------------------------------------------------
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_outputs_follow_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    old_mask = os.umask(mask)
    try:
        p = atomic_write_text(tmp_path / "a.json", "{}")
        with atomic_output(tmp_path / "b.gif") as tmp:
            tmp.write_bytes(b"GIF89a")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(p.stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "b.gif").stat().st_mode) == mode


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    p = tmp_path / "keep.json"
    p.write_text("{}")
    p.chmod(0o640)
    atomic_write_text(p, '{"a": 1}')
    assert stat.S_IMODE(p.stat().st_mode) == 0o640
