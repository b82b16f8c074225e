"""The command line's halves of findings 1, 3, 4, 5, 6, 7, 12, 13 and 14.

Every refusal is one ``latentlab: error: FILE: reason`` line and exit code 2, decided before anything
large is allocated (the tiny hostile files within ≤ 1 CPU s and ≤ 200 MB, measured in a subprocess);
no user file is lost whatever stops a write (a refusal, a failure, a full disk, SIGTERM, kill -9);
long jobs stream, with a progress line only on a terminal; warnings (non-finite frames) are one line
and Python's own warnings stay in the log. Cases where stray output could add lines (logging,
warnings, ffmpeg) run the real ``latentlab`` in a subprocess; pure argument checks run in-process.
"""

from __future__ import annotations

import ast
import os
import pty
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from tests.hostile import hostile_files as hf
from tests.hostile.hostile_files import REPO

OLD = b"the user's own file, which must survive\n" * 50
ERROR = "latentlab: error: "
ENV = {**os.environ, "PYTHONPATH": str(REPO), "LATENTLAB_THREADS": "1"}


def run_cli(*args: object, timeout: float = 300, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``latentlab ARGS`` in a subprocess (stdin closed, stdout and stderr captured, not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *map(str, args)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=ENV,
        timeout=timeout,
        **kwargs,  # type: ignore[arg-type]
    )


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """``latentlab ARGS`` in-process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def one_error_line(stderr: str, *needles: str) -> str:
    """The one line of ``stderr``: a ``latentlab: error:`` line containing every needle."""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected exactly one stderr line, got:\n{stderr}"
    assert lines[0].startswith(ERROR), lines[0]
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"
    return lines[0]


def no_temp_files(folder: Path) -> None:
    left = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert not left, f"temporary files left behind: {left}"


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hf.png_bomb(tmp_path_factory.mktemp("bomb") / "bomb.png")


# --- findings 6 and 12: arguments refused up front, in one line that says the limit ----------------
@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (
            ["generate", "{m16}", "--noise-seed", str(2**70), "--noise-mode", "random", "--out", "{tmp}/g.png"],
            ["--noise-seed must be in 0..9223372036854775807, got 1180591620717411303424"],
        ),
        (  # the default bundled model renders 64 px: 317 columns of it are 20288 px wide
            ["generate", "--seeds", "0-100000", "--out", "{tmp}/g.png"],
            ["g.png: a grid of 100001 images of 20288×20224 pixels exceeds the limit of 16384 pixels a side"],
        ),
        (["generate", "{m16}", "--seeds", "0-2000000", "--out-npy", "{tmp}/g.npy"], ["more than 1000000 seeds"]),
        (
            ["interpolate", "{m16}", "--seeds", "1", "2", "--frames", "10000000", "--out", "{tmp}/w.gif"],
            ["--frames must be in 2..1000000, got 10000000"],
        ),
        (
            ["interpolate", "{m16}", "--seeds", "1", "2", "--size", "100000", "--out", "{tmp}/w.gif"],
            ["--size must be in 1..16384, got 100000"],
        ),
        (
            ["interpolate", "{m16}", "--seeds", "1", "2", "--scale", "2000", "--out", "{tmp}/w.gif"],
            ["--scale: a frame of 16 px × 2000 of 32000×32000 pixels exceeds the limit of 16384 pixels a side"],
        ),
        (
            ["interpolate", "{m16}", "--seeds", "1", "2", "--fps", "nan", "--out", "{tmp}/w.gif"],
            ["--fps must be a finite number, got nan"],
        ),
        (
            ["interpolate", "{m16}", "--seeds", "1", "2", "--fps", "1e-9", "--out", "{tmp}/w.gif"],
            ["--fps must be in 0.01..1000, got 1e-09"],
        ),
        (["bench", "export", "{m16}", "--frames", "10000000"], ["--frames must be in 2..1000000, got 10000000"]),
        (
            ["directions", "{m16}", "--layers", "0-1000", "--out", "{tmp}/d.npz"],
            ["--layers 0-1000: this model's style layers are 0-5"],
        ),
        (["info", "/"], ["/: is a folder, not a checkpoint file"]),
        (["info", ""], ["'': empty file name"]),
        (["info", "{tmp}/evil\nname.pt"], ["evil\\nname.pt: "]),
        (["translate", "{m16}", "{tmp}/a\nb.png", "--out", "{tmp}/o"], ["a\\nb.png: no such file or folder"]),
    ],
)
def test_bad_arguments_are_one_line_that_says_the_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, m16: Path, argv: list[str], needles: list[str]
) -> None:
    (tmp_path / "evil\nname.pt").write_bytes(b"not a checkpoint at all")
    args = [a.replace("{m16}", str(m16)).replace("{tmp}", str(tmp_path)) for a in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    rc, out, err = cli(capsys, *args)
    assert rc == 2 and out == ""
    one_error_line(err, *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, nothing left behind


def test_info_of_an_empty_name_does_not_open_the_default_model(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.checkpoints import loader

    calls = []
    original = loader.load_model
    try:
        loader.load_model = lambda *a, **k: calls.append(a) or original(*a, **k)  # type: ignore[assignment]
        rc, out, err = cli(capsys, "info", "")
    finally:
        loader.load_model = original  # type: ignore[assignment]
    assert rc == 2 and out == "" and "empty file name" in err
    assert all(a[0] == "" for a in calls)  # asked for '' (refused), never for the default (None)


# --- findings 4, 5 and 12: tiny hostile files refused cheaply, in one line, nothing executed --------
_INFO = """
import contextlib, io
from app.cli import main
import engine.checkpoints.loader  # imported before the measurement, as the CLI would have
"""


def _info_probe(path: Path | str) -> tuple[int, str, dict]:
    code = f"""
err = io.StringIO()
with contextlib.redirect_stderr(err):
    rc = main(["info", {str(path)!r}])
return rc, err.getvalue()
"""
    r = hf.probe(code, _INFO, timeout=120)
    assert r["ok"], r.get("traceback")
    rc, err = ast.literal_eval(r["value"])
    assert r["stderr"] == "", r["stderr"]  # nothing but the captured line
    return rc, err, r


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "payload", "text", "stride0"])
def test_info_refuses_hostile_files_in_one_line_within_budget(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "payload-ran"
    path: Path | str
    if kind == "fifo":
        path = hf.fifo(tmp_path / "x.safetensors")
        needles = ["x.safetensors: is a named pipe (FIFO)"]
    elif kind == "dev-zero":
        path, needles = "/dev/zero", ["zero: is a device"]
    elif kind == "payload":
        path = hf.payload_pickle(tmp_path / "network.pkl", marker)
        needles = ["network.pkl: ", "refused global"]
    elif kind == "text":
        path = tmp_path / "model.safetensors"
        path.write_text("hello\n" * 100)
        needles = ["model.safetensors: "]
    else:
        path = hf.torch_stride0(tmp_path / "200000-G.ckpt")
        needles = ["200000-G.ckpt: ", "stride 0"]
    rc, err, r = _info_probe(path)
    assert rc == 2
    one_error_line(err, *needles)
    assert not marker.exists()
    assert r["cpu_s"] <= 1.0, f"refusal took {r['cpu_s']:.2f} CPU s"
    assert r["rss_growth_mb"] <= 200, f"refusal grew RSS by {r['rss_growth_mb']:.0f} MB"


@pytest.mark.parametrize("kind", ["objects-npy", "objects-npz", "lying-npy", "short-npy", "npz-as-npy", "fifo"])
def test_array_files_are_checked_before_reading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, m16: Path, kind: str
) -> None:
    out = tmp_path / "g.png"
    if kind == "objects-npy":
        p = tmp_path / "objects.npy"
        np.save(p, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
        argv, needles = ["generate", m16, "--z-npy", p, "--out", out], ["objects.npy: holds object values"]
    elif kind == "objects-npz":
        p = hf.npz_object_array(tmp_path / "objects.npz")
        argv = ["interpolate", m16, "--keyframes", "3", p, "--out", tmp_path / "w.gif"]
        needles = ["objects.npz: ", "Python objects"]
    elif kind == "lying-npy":
        from numpy.lib import format as npy_format

        p = tmp_path / "huge.npy"
        with open(p, "wb") as f:  # a header promising 100000 × 1024 × 1024 float32 over 16 bytes
            npy_format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (100000, 1 << 20)})
            f.write(b"\0" * 16)
        argv, needles = (
            ["generate", m16, "--z-npy", p, "--out", out],
            ["huge.npy: its 390.6 GB array is more than the limit of 1.0 GB"],
        )
    elif kind == "short-npy":
        from numpy.lib import format as npy_format

        p = tmp_path / "short.npy"
        with open(p, "wb") as f:  # 1000 × 1000 float32 promised, 16 bytes stored
            npy_format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (1000, 1000)})
            f.write(b"\0" * 16)
        argv, needles = ["generate", m16, "--z-npy", p, "--out", out], ["short.npy: its header promises 3.8 MB"]
    elif kind == "npz-as-npy":
        p = tmp_path / "z.npy"
        with open(p, "wb") as f:
            np.savez(f, z=np.zeros((2, 16), np.float32))
        argv, needles = ["generate", m16, "--z-npy", p, "--out", out], ["z.npy: is an .npz archive"]
    else:
        p = hf.fifo(tmp_path / "z.npy")
        argv, needles = ["generate", m16, "--z-npy", p, "--out", out], ["z.npy: is a named pipe (FIFO)"]
    rc, _, err = cli(capsys, *argv)
    assert rc == 2
    one_error_line(err, *needles)
    assert not out.exists()


# --- finding 1: a refused or failed command never touches the file already at its output ------------
def test_a_refused_export_keeps_the_existing_video(capsys: pytest.CaptureFixture[str], tmp_path: Path, m16) -> None:
    old = tmp_path / "old.gif"
    base = ["interpolate", m16, "--seeds", "1", "2", "--frames", "4", "--out", old]
    assert cli(capsys, *base)[0] == 0
    made = old.read_bytes()
    rc, _, err = cli(capsys, *base, "--size", "100000")
    assert rc == 2 and "--size" in one_error_line(err)
    assert old.read_bytes() == made
    no_temp_files(tmp_path)


def test_a_failure_mid_generate_keeps_the_existing_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, m16: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.commands.generate as generate

    npy, png = tmp_path / "old.npy", tmp_path / "old.png"
    npy.write_bytes(OLD)
    png.write_bytes(OLD)
    real, calls = generate.render_batch, []

    def fail_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the device went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "render_batch", fail_on_third)
    rc, out, err = cli(capsys, "generate", m16, "--seeds", "0-9", "--batch", "2", "--out", png, "--out-npy", npy)
    assert rc == 1 and out == ""
    assert err.count("\n") == 1 and "the device went away (run with --verbose for the traceback)" in err
    assert npy.read_bytes() == OLD and png.read_bytes() == OLD
    no_temp_files(tmp_path)


# --- finding 3: a full disk, SIGTERM and kill -9 leave the old file and no partial one -------------
def _file_size_limit(nbytes: int):
    def limit() -> None:  # Python ignores SIGXFSZ: a write over the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return limit


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("out.npy", ["generate", "{m16}", "--seeds", "0-199", "--out-npy", "{out}"]),
        ("out.png", ["generate", "{m16}", "--seeds", "0-399", "--out", "{out}"]),
        ("out.gif", ["interpolate", "{m16}", "--seeds", "1", "2", "--frames", "60", "--scale", "4", "--out", "{out}"]),
        ("out.mp4", ["interpolate", "{m16}", "--seeds", "1", "2", "--frames", "60", "--scale", "8", "--out", "{out}"]),
    ],
)
def test_full_disk_keeps_the_old_file_in_one_line(tmp_path: Path, m16: Path, name: str, argv: list[str]) -> None:
    old = tmp_path / name
    old.write_bytes(OLD)
    args = [a.replace("{m16}", str(m16)).replace("{out}", str(old)) for a in argv]
    r = run_cli(*args, preexec_fn=_file_size_limit(20_000))
    assert r.returncode == 2, r.stderr[-3000:]
    line = one_error_line(r.stderr, f"{old}: cannot write")  # ffmpeg's own messages never reach stderr
    assert ".tmp" not in line
    assert old.read_bytes() == OLD
    no_temp_files(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_export_leaves_the_old_video(tmp_path: Path, m16: Path, sig: int) -> None:
    old = tmp_path / "walk.mp4"
    old.write_bytes(OLD)
    argv = ["interpolate", m16, "--seeds", "1", "2", "--frames", "100000", "--out", old]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *map(str, argv)],
        cwd=REPO,
        env=ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not any(tmp_path.glob(".walk.mp4.*.tmp.mp4")):  # the export has begun writing
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the export never started"
            time.sleep(0.1)
        time.sleep(1.0)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert old.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["walk.mp4"]
    if sig == signal.SIGTERM:  # SIGTERM is an orderly exit: the temporary file is gone too, no traceback
        assert proc.returncode == 143 and "Traceback" not in err, err
        no_temp_files(tmp_path)


# --- finding 7 (and the acceptance test): a folder with bad files is translated, the rest skipped ----
def test_translate_a_folder_of_20_with_bad_files(tmp_path: Path, bomb: Path) -> None:
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("pix2pix")
    model = save_native(fam.new(fam.tiny_config()), tmp_path / "p2p.safetensors")
    good = hf.image_folder_of_20(tmp_path / "in", bomb)
    r = run_cli("translate", model, tmp_path / "in", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    written = {Path(line).name for line in r.stdout.split()}
    assert written == {f"{Path(n).stem}_AtoB.png" for n in good} | {"deep_AtoB.png"}
    assert written == {p.name for p in (tmp_path / "out").iterdir()}
    lines = r.stderr.splitlines()
    assert len(lines) == 4, r.stderr  # one line per skipped file and the summary; no warnings, no tracebacks
    skipped = {Path(line.split(": ")[2]).name: line for line in lines[:3]}
    assert set(skipped) == {"bomb.png", "notes.png", "pipe.png"}
    assert all(line.startswith("latentlab: skipped: ") for line in lines[:3])
    assert "exceeds the limit of 268 megapixels" in skipped["bomb.png"]
    assert "not a readable image" in skipped["notes.png"]
    assert "named pipe (FIFO)" in skipped["pipe.png"]
    assert lines[3] == "latentlab: translated 17 of 20 files; skipped 3"


# --- finding 6: long jobs stream ---------------------------------------------------------------------
def test_generate_writes_each_batch_before_rendering_the_next(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, m16: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.commands.common as common
    import app.commands.generate as generate
    from engine.grid import GridCanvas

    events: list[str] = []
    render, write, put = generate.render_batch, common.NpyWriter.write, GridCanvas.put
    monkeypatch.setattr(generate, "render_batch", lambda *a, **k: events.append("render") or render(*a, **k))
    monkeypatch.setattr(common.NpyWriter, "write", lambda self, rows: events.append("npy") or write(self, rows))
    monkeypatch.setattr(GridCanvas, "put", lambda self, i, im: events.append("grid") or put(self, i, im))
    png, npy = tmp_path / "g.png", tmp_path / "g.npy"
    rc, out, err = cli(capsys, "generate", m16, "--seeds", "0-9", "--batch", "4", "--out", png, "--out-npy", npy)
    assert rc == 0, err
    assert events == ["render", "npy", "grid"] * 3  # 4 + 4 + 2 images, each batch written at once
    monkeypatch.undo()
    # The streamed .npy is byte for byte what numpy.save writes for the whole array, and holds the
    # images one forward pass of all ten renders (up to float rounding across batch sizes).
    import io

    streamed = np.load(npy)
    buf = io.BytesIO()
    np.save(buf, streamed)
    assert buf.getvalue() == npy.read_bytes()
    rc, _, err = cli(capsys, "generate", m16, "--seeds", "0-9", "--batch", "10", "--out-npy", tmp_path / "one.npy")
    assert rc == 0, err
    np.testing.assert_allclose(streamed, np.load(tmp_path / "one.npy"), atol=1e-5)
    assert Image.open(png).size == (4 * 16, 3 * 16)


def test_batches_are_sized_by_memory() -> None:
    from app.commands.common import batch_for, image_bytes_estimate

    assert batch_for(64, 3, 16) == 16  # the bundled models: as asked
    assert batch_for(1024, 3, 16) <= 5  # a 1024 px model: a grid of 16 does not need 11 GB at once
    assert batch_for(1024, 3, 16) * image_bytes_estimate(1024, 3) <= 2 << 30
    assert batch_for(4096, 3, 16) == 1


_STREAM = """
import contextlib, io
from pathlib import Path
import engine.video, engine.render, engine.latent.keyframes, engine.checkpoints.loader
from app.cli import main

def first_frames_only(frames, count, path, fps=24.0, scale=1, cancel=None, buffer=8):
    for i, _frame in zip(range(3), frames):
        yield i + 1, count, ""
    return [Path(path)]

engine.video.export_job = first_frames_only
"""


def test_a_million_frame_walk_starts_at_the_cost_of_its_first_frames(tmp_path: Path, m16: Path) -> None:
    """The walk's requests are made as frames are written, never all up front (a million of them took
    seconds and hundreds of MB before the first frame)."""
    argv = ["interpolate", str(m16), "--seeds", "1", "2", "--frames", "1000000", "--out", str(tmp_path / "w.mp4")]
    r = hf.probe(f"with contextlib.redirect_stdout(io.StringIO()):\n    return main({argv!r})", _STREAM, timeout=120)
    assert r["ok"] and r["value"] == "0", r.get("traceback")
    assert r["cpu_s"] <= 2.0, f"starting took {r['cpu_s']:.2f} CPU s"
    assert r["rss_growth_mb"] <= 200, f"starting grew RSS by {r['rss_growth_mb']:.0f} MB"


@pytest.mark.slow
def test_progress_line_on_a_terminal_only(tmp_path: Path, m16: Path) -> None:
    master, slave = pty.openpty()
    argv = ["generate", m16, "--seeds", "0-63", "--batch", "8", "--out-npy", tmp_path / "g.npy"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *map(str, argv)],
        cwd=REPO,
        env=ENV,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=120)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, shown
    assert "/64" in shown and "images" in shown, shown  # tqdm's "n/64 images" line
    r = run_cli(*argv[:-1], tmp_path / "h.npy")  # not a terminal: no progress line at all
    assert r.returncode == 0 and r.stderr == "", r.stderr


# --- finding 12: warnings are captured into the log ------------------------------------------------
_WARN = """
import warnings, sys
from PIL import Image
from app.cli import _configure_logging
_configure_logging(int(sys.argv[1]))
warnings.warn("torch says something about its internals", UserWarning)
warnings.warn(Image.DecompressionBombWarning("Image size (200000000 pixels) exceeds limit"))
"""


@pytest.mark.parametrize("verbose", [0, 1])
def test_python_warnings_go_to_the_log_not_stderr(verbose: int) -> None:
    r = subprocess.run(
        [sys.executable, "-c", _WARN, str(verbose)], capture_output=True, text=True, cwd=REPO, env=ENV, timeout=120
    )
    assert r.returncode == 0, r.stderr
    if verbose == 0:
        assert r.stderr == ""
    else:  # -v shows them, one line each
        assert "torch says something" in r.stderr and "DecompressionBombWarning" in r.stderr
        assert len(r.stderr.splitlines()) == 2, r.stderr


# --- finding 12: an unwritable folder names the final file ------------------------------------------
@pytest.mark.parametrize("command", ["convert", "interpolate", "generate"])
def test_unwritable_folder_names_the_final_file_not_the_temp(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, m16: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    import tempfile

    folder = tmp_path / "ro"
    folder.mkdir()

    def refuse(*args, **kwargs):  # what a read-only folder does to the temporary file (root may write anyway)
        raise PermissionError(13, "Permission denied", str(folder / ".x.abc123.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    target = folder / {"convert": "x.safetensors", "interpolate": "x.gif", "generate": "x.png"}[command]
    argv = {
        "convert": ["convert", m16, "--out", target],
        "interpolate": ["interpolate", m16, "--seeds", "1", "2", "--frames", "3", "--out", target],
        "generate": ["generate", m16, "--seeds", "0-3", "--out", target],
    }[command]
    rc, _, err = cli(capsys, *argv)
    assert rc == 2
    assert one_error_line(err) == f"{ERROR}{target}: cannot write (permission denied)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_convert_into_a_read_only_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path, m16: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        rc, _, err = cli(capsys, "convert", m16, "--out", folder / "x.safetensors")
    finally:
        folder.chmod(0o755)
    assert rc == 2
    assert one_error_line(err) == f"{ERROR}{folder / 'x.safetensors'}: cannot write (permission denied)"


# --- finding 13: non-finite frames are a warning, not silent black --------------------------------
def test_psi_nan_warns_in_one_line(tmp_path: Path, m16: Path) -> None:
    r = run_cli("generate", m16, "--psi", "nan", "--seeds", "0-3", "--out", tmp_path / "p.png")
    assert r.returncode == 0 and r.stdout.strip() == str(tmp_path / "p.png")
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("latentlab: warning: "), r.stderr
    assert "NaN/inf" in lines[0] and "psi" in lines[0]


def test_nan_weights_warn_in_generate_and_interpolate(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, tmp_path: Path, nan_model: Path
) -> None:
    from engine.finite import NONFINITE_WARNING

    for argv in (
        ["generate", nan_model, "--seeds", "0-3", "--out-npy", tmp_path / "n.npy"],
        ["interpolate", nan_model, "--seeds", "1", "2", "--frames", "3", "--out", tmp_path / "n.gif"],
    ):
        caplog.clear()
        rc, _, err = cli(capsys, *argv)
        assert rc == 0, err
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and NONFINITE_WARNING in warnings[0], warnings


# --- finding 14: outputs follow the umask --------------------------------------------------------
def test_cli_outputs_follow_the_umask(capsys: pytest.CaptureFixture[str], tmp_path: Path, m16: Path) -> None:
    argv = ["generate", m16, "--seeds", "0-1", "--out", tmp_path / "g.png", "--out-npy", tmp_path / "g.npy"]
    old_mask = os.umask(0o027)
    try:
        rc, _, err = cli(capsys, *argv)
    finally:
        os.umask(old_mask)
    assert rc == 0, err
    for name in ("g.png", "g.npy"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640, name
