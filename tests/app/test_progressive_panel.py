"""The progressive panel on a tiny PGGAN: level and α become RenderRequest options, undoably."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from app.params import Params
from engine.api import RenderRequest
from engine.families.base import Capabilities, Progressive
from tests.app.conftest import WAIT_MS
from tests.app.test_features_panel import _open_viewer, _pick

pytestmark = pytest.mark.qt


def make_tiny_pggan(path: Path) -> Path:
    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("pggan")
    return save_native(fam.new(fam.tiny_config()), path)


def _engine_render(window, req: RenderRequest) -> np.ndarray:
    from engine.render import render

    return window.client.engine.call(lambda ctx: render(ctx.model(req.model_id), req), timeout=WAIT_MS / 1000)


@pytest.fixture
def pg_window(window, qtbot, wait_current, tmp_path):
    window.open_model(str(make_tiny_pggan(tmp_path / "pg.safetensors")))
    qtbot.waitUntil(lambda: window.session.model.name == "pg", timeout=WAIT_MS)
    wait_current()
    return window


def test_params_options_follow_the_capabilities() -> None:
    caps = Capabilities("pggan", "unconditional", 16, 3, 8, progressive=Progressive((4, 8, 16), 0.25))
    p = Params().adapted(caps)

    def shown(params: Params, c: Capabilities) -> tuple[int, float]:
        return c.progressive.viewed(dict(params.view.options))

    def at(level: int, alpha: float | None = None) -> Params:
        return p.replace(view={"options": (("level", level),) + ((("alpha", alpha),) if alpha is not None else ())})

    assert p.view.options == () and shown(p, caps) == (2, 0.25)
    assert p.to_request("m", caps).view.options == (("level", 2), ("alpha", 0.25))
    assert at(0, 0.3).to_request("m", caps).view.options == (("level", 0), ("alpha", 1.0))
    assert shown(at(1, 0.5).adapted(caps), caps) == (1, 0.5) and shown(at(1), caps) == (1, 1.0)
    small = dataclasses.replace(caps, progressive=Progressive((4, 8), 1.0))
    assert shown(at(2, 0.5).adapted(small), small) == (1, 1.0)
    plain = Capabilities("dcgan", "unconditional", 16, 3, 8)
    assert at(1).adapted(plain).view.options == ()
    assert at(1).to_request("m", plain).view.options == ()


def test_level_and_alpha_change_the_frame_and_undo(pg_window, wait_current) -> None:
    w = pg_window
    panel = w.progressive_panel
    assert not w.docks["progressive"].isHidden()
    assert [panel.level.itemText(i) for i in range(panel.level.count())] == ["4×4", "8×8", "16×16"]
    assert panel.level.currentIndex() == 2 and panel.alpha.float_value() == 1.0
    top = wait_current()
    assert top.request.view.options == (("level", 2), ("alpha", 1.0))

    panel.level.setCurrentIndex(1)
    assert dict(w.session.params.view.options)["level"] == 1
    mid = wait_current()
    assert mid.request.view.options == (("level", 1), ("alpha", 1.0)) and mid.image.shape == (16, 16, 3)
    assert not np.array_equal(mid.image, top.image)
    # 8×8 up-sampled by nearest neighbour: every 2×2 block of the 16×16 frame is one colour.
    assert np.array_equal(mid.image[::2, ::2], mid.image[1::2, 1::2])

    panel.alpha.setValue(panel.alpha.to_int(0.5))
    panel.alpha.setValue(panel.alpha.to_int(0.0))
    faded = wait_current()
    assert faded.request.view.options == (("level", 1), ("alpha", 0.0))
    assert np.array_equal(faded.image, _engine_render(w, faded.request))
    lower = dataclasses.replace(faded.request, options=(("level", 0), ("alpha", 1.0)))
    assert np.array_equal(faded.image, _engine_render(w, lower))  # α = 0: the 4×4 level, up-sampled
    assert not np.array_equal(faded.image, mid.image)

    w.session.undo_stack.undo()  # the α drag is one step
    assert w.session.params.view.options == (("level", 1), ("alpha", 1.0)) and panel.alpha.float_value() == 1.0
    assert np.array_equal(wait_current().image, mid.image)
    w.session.undo_stack.undo()
    assert panel.level.currentIndex() == 2
    assert np.array_equal(wait_current().image, top.image)

    panel.level.setCurrentIndex(0)
    assert not panel.alpha.isEnabled()
    assert wait_current().request.view.options == (("level", 0), ("alpha", 1.0))


def test_feature_viewer_follows_the_level(pg_window, qtbot, wait_current) -> None:
    w = pg_window
    _open_viewer(w, qtbot)
    _pick(w, "b16.conv1")
    assert wait_current().request.view.feature_layer == "b16.conv1"
    w.progressive_panel.level.setCurrentIndex(1)
    at8 = wait_current()
    assert at8.ok and at8.request.view.feature_layer is None  # not computed at 8×8: not asked for
    assert "not computed" in w.features_panel.view.placeholder
    _pick(w, "b8.conv1")
    shown = wait_current()
    assert shown.request.view.feature_layer == "b8.conv1" and shown.features is not None
