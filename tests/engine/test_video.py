"""Video output: sizes (×N or pixels, nearest or smooth), quality, and cancels that keep existing files."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest

from engine.video import OutputSize, default_scale, export_job, resize


def _drive(job):
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def test_output_size_scales_or_fits_pixels() -> None:
    assert OutputSize(scale=4).of(16, 16) == (64, 64)
    assert OutputSize(pixels=500).of(64, 32) == (500, 250)
    assert OutputSize(pixels=101).of(16, 16, even=True) == (102, 102)
    assert default_scale(64) == 8 and default_scale(256) == 2 and default_scale(1024) == 1 and default_scale(16) == 8
    with pytest.raises(ValueError, match="scale"):
        OutputSize(scale=0)
    with pytest.raises(ValueError, match="pixels"):
        OutputSize(pixels=0)


def test_resize_nearest_repeats_pixels_and_smooth_blends() -> None:
    frame = np.zeros((2, 2, 3), np.uint8)
    frame[0, 0] = 255
    near = resize(frame, (8, 8), smooth=False)
    assert near.shape == (8, 8, 3) and set(np.unique(near)) == {0, 255}
    assert (near[:4, :4] == 255).all() and (near[4:, 4:] == 0).all()
    smooth = resize(frame, (8, 8), smooth=True)
    assert smooth.shape == (8, 8, 3) and len(np.unique(smooth)) > 2
    grey = resize(np.zeros((4, 4, 1), np.uint8), (6, 6), smooth=True)
    assert grey.shape == (6, 6, 1)


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_export_job_writes_the_output_size(tmp_path, suffix) -> None:
    frames = (np.full((16, 16, 3), 40 * i, np.uint8) for i in range(4))
    files = _drive(export_job(frames, 4, tmp_path / f"w{suffix}", fps=8, size=OutputSize(scale=4, smooth=True)))
    decoded = [f for f in imageio.get_reader(files[0])]
    assert len(decoded) == 4 and decoded[0].shape[:2] == (64, 64)
    assert [p.name for p in tmp_path.iterdir()] == [f"w{suffix}"]  # no temporary file left


@pytest.mark.parametrize("name", ["old.mp4", "old.gif", "frames/"])
def test_cancelled_export_keeps_the_existing_output(tmp_path, name) -> None:
    target = tmp_path / name
    if name.endswith("/"):
        target.mkdir()
        (target / "frame_00000.png").write_bytes(b"mine")
    else:
        target.write_bytes(b"mine")
    frames = (np.zeros((16, 16, 3), np.uint8) for _ in range(50))
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 5

    with pytest.raises(RuntimeError, match="cancelled"):
        _drive(export_job(frames, 50, str(target) + ("/" if name.endswith("/") else ""), cancel=cancel))
    kept = target / "frame_00000.png" if name.endswith("/") else target
    assert kept.read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name.rstrip("/")]


def test_a_render_error_keeps_the_existing_output(tmp_path) -> None:
    target = tmp_path / "walk.mp4"
    target.write_bytes(b"mine")

    def frames():
        yield np.zeros((16, 16, 3), np.uint8)
        raise RuntimeError("the model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        _drive(export_job(frames(), 5, target))
    assert target.read_bytes() == b"mine"
    assert [p.name for p in tmp_path.iterdir()] == ["walk.mp4"]
