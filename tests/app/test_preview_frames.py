"""Big models stay interactive: an edit shows a preview first, the full frame follows when the input is
idle, the canvas says which it shows, and thumbnails of a big model are previews (app.frames)."""

from __future__ import annotations

import dataclasses

import pytest

from app.frames import PREVIEW_BUDGET_MS
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def record_canvas(window) -> list[tuple[str, tuple[int, ...]]]:
    """Every (label, frame shape) the canvas is given from now on."""
    seen: list[tuple[str, tuple[int, ...]]] = []
    set_label = window.canvas.set_label

    def spy(text: str) -> None:
        set_label(text)
        frame = window.canvas.frame
        seen.append((text, tuple(frame.shape) if frame is not None else ()))

    window.canvas.set_label = spy
    return seen


def after_preview(seen: list[tuple[str, tuple[int, ...]]], prefix: str) -> list[tuple[str, tuple[int, ...]]]:
    """What the canvas was given from the first preview on, when something after it starts with ``prefix``."""
    first = next((i for i, (label, _) in enumerate(seen) if label.startswith("preview")), None)
    if first is None:
        return []
    rest = seen[first:]
    return rest if any(label.startswith(prefix) for label, _ in rest[1:] or rest) else []


def test_preview_first_then_full_frame_with_the_canvas_label(window, wait_current, qtbot) -> None:
    wait_current()
    assert window.canvas.label == ""  # a small model: no previews, nothing said
    window.frames.forced_preview = 8
    seen = record_canvas(window)
    slider = window.truncation_panel.psi_slider
    slider.setValue(slider.to_int(0.5))
    qtbot.waitUntil(lambda: bool(after_preview(seen, "full")), timeout=WAIT_MS)
    shown = after_preview(seen, "")  # (frames of the previous edit may still come back first)
    assert shown[0] == ("preview 8×8 — full frame follows", (8, 8, 3))
    assert ("full 16×16", (16, 16, 3)) in shown
    last = window.session.last_frame
    assert last.request == window.frames.current_request() and last.request.view.preview is None
    assert last.request.truncation.psi == 0.5
    assert window.canvas.label == "full 16×16"


def test_a_drag_shows_previews_and_one_full_frame_after_it(window, wait_current, qtbot) -> None:
    wait_current()
    window.frames.forced_preview = 8
    seen = record_canvas(window)
    slider = window.truncation_panel.psi_slider
    for i in range(20):  # faster than the idle delay: no full frame during the drag
        slider.setValue(slider.to_int(0.9 - i / 50))
        qtbot.wait(10)
    qtbot.waitUntil(lambda: bool(after_preview(seen, "full")), timeout=WAIT_MS)
    labels = [label for label, _ in after_preview(seen, "")]
    first_full = next(i for i, label in enumerate(labels) if label.startswith("full"))
    assert first_full > 0 and all(label.startswith("preview") for label in labels[:first_full])
    assert window.session.last_frame.request.truncation.psi == window.session.params.truncation.psi


def test_preview_level_follows_measured_times(window, wait_current) -> None:
    wait_current()
    frames = window.frames
    frames.full_ms = PREVIEW_BUDGET_MS / 10  # (timings are measured: pin them)
    assert frames.choose_preview() is None  # a fast model renders full frames
    frames.full_ms = 10 * PREVIEW_BUDGET_MS  # pretend its full frame is slow; 16 px model: one level (8)
    assert frames.choose_preview() == 8
    frames.preview_ms[8] = 2 * PREVIEW_BUDGET_MS  # nothing lower to go to: stays
    assert frames.choose_preview() == 8
    window.frames.features_shown = lambda: True  # the feature viewer needs every layer: full frames
    assert frames.choose_preview() is None


def test_thumbnails_of_a_big_model_are_previews(window, wait_current, qtbot) -> None:
    wait_current()
    window.docks["arithmetic"].show()
    panel = window.arithmetic_panel
    base = window.session.request()
    req = next(iter(panel.side_requests(base, window.session.params).values()))
    window.frames.full_ms = PREVIEW_BUDGET_MS / 10
    assert window.frames.thumbnail_request(req, panel.thumbnail_size) == req  # fast model: full frames
    window.frames.full_ms = 10 * PREVIEW_BUDGET_MS
    assert window.frames.thumbnail_request(req, 8).view.preview == 8
    assert window.frames.thumbnail_request(req, 12) == req  # no preview that big below 16 px
    window.frames.forced_preview = 8
    sent: list[tuple[str, object]] = []
    submit = window.session.client.submit

    def spy(request, channel="main", **options):
        sent.append((channel, request))
        return submit(request, channel, **options)

    window.session.client.submit = spy
    panel.thumbnail_size = 8
    slider = window.truncation_panel.psi_slider
    slider.setValue(slider.to_int(0.6))
    qtbot.waitUntil(lambda: any(ch.startswith("arith") for ch, _ in sent), timeout=WAIT_MS)
    side = [r for ch, r in sent if ch.startswith("arith")]  # (the mix seed's 56 px thumbnail is the full 16 px frame)
    assert side and all(r.view.preview == 8 for r in side), [(ch, r.view.preview) for ch, r in sent]
    main = [r for ch, r in sent if ch == "main"]
    assert main[0].view.preview == 8 and dataclasses.replace(main[0], view=main[-1].view) == main[-1]
