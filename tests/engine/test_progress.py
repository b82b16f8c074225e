"""Time estimates of long jobs (engine.progress): durations for people, the rate from the steps done."""

from __future__ import annotations

import pytest

from engine.progress import Eta, format_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (-3, "0 s"),
        (8.4, "8 s"),
        (59.6, "1 min"),
        (125, "2 min 5 s"),
        (3600, "1 h 0 min"),
        (3785, "1 h 3 min"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_eta_leaves_the_first_step_out_of_the_rate() -> None:
    clock = Clock()
    eta = Eta(10, clock=clock)
    assert eta.update(0) is None
    clock.t += 30.0  # the first step includes warm-up
    assert eta.update(1) is None and eta.text(1) == ""
    clock.t += 2.0
    assert eta.update(2) == pytest.approx(16.0)  # 8 steps left at 2 s each, not at (30 + 2) / 2
    clock.t += 4.0
    assert eta.update(4) == pytest.approx(12.0)  # 6 steps left at (2 + 4) / 3 s
    assert eta.text(4) == "about 12 s left"
    clock.t += 2.0
    assert eta.update(10) == 0.0


def test_eta_from_steps_reported_in_bunches() -> None:
    clock = Clock()
    eta = Eta(300, clock=clock)
    clock.t += 5.0
    assert eta.update(10) is None  # the first report sets the origin
    clock.t += 60.0
    assert eta.text(40) == "about 8 min 40 s left"  # 2 s a step, 260 steps left
    assert eta.update(40) == pytest.approx(520.0)  # the same report twice gives the same answer
