"""Rolling render time and frame rate (no Qt): what the status bar may and may not claim."""

from __future__ import annotations

import pytest

from app.frame_stats import MIN_FRAMES_FOR_RATE, FrameStats


def test_one_frame_gives_a_time_but_no_rate() -> None:
    s = FrameStats()
    s.add(10.0, 24.0)
    assert s.render_ms(10.0) == 24.0
    assert s.fps(10.0) is None  # never "890 frames/s" after one frame
    for i in range(1, MIN_FRAMES_FOR_RATE - 1):
        s.add(10.0 + i * 0.001, 24.0)  # a burst of a few frames is still no rate
    assert s.fps(10.01) is None


def test_the_warm_up_frame_of_a_model_is_left_out() -> None:
    s = FrameStats()
    s.reset(skip_first=True)
    s.add(0.0, 1011.0)  # the first frame of a model: one-off warm-up work
    assert s.render_ms(0.0) is None and len(s) == 0
    s.add(0.04, 25.0)
    s.add(0.08, 23.0)
    assert s.render_ms(0.08) == 24.0


def test_rate_and_time_are_medians_of_recent_frames() -> None:
    s = FrameStats()
    t = 100.0
    for i in range(20):
        s.add(t, 500.0 if i == 7 else 20.0)  # one slow frame does not move the median
        t += 0.040 if i != 12 else 0.400  # nor does one long gap
    assert s.render_ms(t) == 20.0
    assert s.fps(t) == pytest.approx(25.0)


def test_only_the_last_frames_and_seconds_count() -> None:
    s = FrameStats(window_s=2.0, max_frames=30)
    for i in range(40):
        s.add(i * 0.01, 100.0 if i < 10 else 10.0)  # the 10 oldest are beyond the last 30
    assert len(s) == 30 and s.render_ms(0.4) == 10.0
    assert s.render_ms(0.39 + 2.5) is None and s.fps(0.39 + 2.5) is None  # idle: nothing to say
    assert len(s) == 0


def test_window_must_make_sense() -> None:
    with pytest.raises(ValueError):
        FrameStats(window_s=0)
    with pytest.raises(ValueError):
        FrameStats(max_frames=1)
