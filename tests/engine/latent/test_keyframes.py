"""Keyframed walks and the overlapped video export job."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest

from engine.api import RenderRequest, Transform
from engine.latent.keyframes import animate_transform, ease, walk
from engine.video import export_job


def _drive(job):
    steps = 0
    while True:
        try:
            next(job)
            steps += 1
        except StopIteration as stop:
            return stop.value, steps


def test_walk_through_three_seeds_hits_every_keyframe() -> None:
    reqs = walk(RenderRequest("m"), [1, 5, 9], 9, "slerp", "z")
    assert len(reqs) == 9
    assert (reqs[0].latent.seed, reqs[0].edits.interpolation.t) == (1, 0.0)
    assert (reqs[4].latent.seed, reqs[4].edits.interpolation.t) == (5, 0.0)  # the middle keyframe exactly
    assert (reqs[-1].latent.seed, reqs[-1].edits.interpolation.seed_b, reqs[-1].edits.interpolation.t) == (5, 9, 1.0)


def test_loop_returns_toward_the_start_without_repeating_it() -> None:
    reqs = walk(RenderRequest("m"), [1, 5], 8, loop=True)
    assert reqs[0].latent.seed == 1 and reqs[4].latent.seed == 5 and reqs[4].edits.interpolation.t == 0.0
    assert reqs[-1].edits.interpolation.seed_b == 1 and reqs[-1].edits.interpolation.t < 1.0


def test_animate_transform_moves_along_the_walk() -> None:
    start = Transform(0.1, 0.0, 0.0)
    reqs = walk(RenderRequest("m", transform=start), [1, 1], 5)
    moved = list(animate_transform(reqs, start, Transform(0.1, -0.2, 90.0)))
    assert [r.transform.rotate for r in moved] == [0.0, 22.5, 45.0, 67.5, 90.0]
    assert moved[-1].transform == Transform(0.1, -0.2, 90.0) and moved[2].transform.translate_y == pytest.approx(-0.1)
    assert [r.latent for r in moved] == [r.latent for r in reqs] and [r.edits for r in moved] == [r.edits for r in reqs]
    turn = list(
        animate_transform(walk(RenderRequest("m"), [1, 2], 4, loop=True), Transform(), Transform(rotate=360), True)
    )
    assert [r.transform.rotate for r in turn] == [0.0, 90.0, 180.0, 270.0]  # the next frame would repeat the first
    with pytest.raises(ValueError, match="2 frames"):
        animate_transform(reqs[:1], start, start)


def test_easing_and_bad_input() -> None:
    assert ease(0.5, "smooth") == 0.5 and ease(0.25, "smooth") < 0.25 and ease(1.0, "smooth") == 1.0
    with pytest.raises(ValueError, match="two keyframes"):
        walk(RenderRequest("m"), [1], 5)
    with pytest.raises(ValueError, match="easing"):
        walk(RenderRequest("m"), [1, 2], 5, easing="bounce")


@pytest.mark.parametrize("suffix", [".mp4", ".gif", ".webm"])
def test_export_job_writes_every_frame(tmp_path, suffix) -> None:
    frames = (np.full((16, 16, 3), 10 * i, np.uint8) for i in range(12))
    files, steps = _drive(export_job(frames, 12, tmp_path / f"walk{suffix}", fps=12, scale=2))
    assert steps == 12 and files[0].exists()
    reader = imageio.get_reader(files[0])
    decoded = [f for f in reader]
    assert len(decoded) == 12 and decoded[0].shape[:2] == (32, 32)


def test_export_job_cancel_removes_the_partial_file(tmp_path) -> None:
    frames = (np.zeros((16, 16, 3), np.uint8) for _ in range(50))
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 5

    with pytest.raises(RuntimeError, match="cancelled"):
        _drive(export_job(frames, 50, tmp_path / "c.mp4", cancel=cancel))
    assert not (tmp_path / "c.mp4").exists()


def test_export_job_reports_a_bad_frame(tmp_path) -> None:
    frames = iter([np.zeros((16, 16), np.float32)])
    with pytest.raises(ValueError, match="uint8 HWC"):
        _drive(export_job(frames, 1, tmp_path / "x.gif"))
