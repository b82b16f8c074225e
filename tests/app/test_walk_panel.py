"""Walks in the explorer: gallery bookmarks and latent files as keyframes, reorder/remove, w+, export, scrubber."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest
import torch

from engine.api import RenderRequest
from engine.checkpoints.loader import load_model
from engine.latent.invert import Inversion, save_latent
from engine.latent.keyframes import Keyframe
from engine.render import render
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def _shown(qtbot, window):
    """Wait until the canvas shows the frame of the window's shown request (walk preview or current)."""
    qtbot.waitUntil(
        lambda: (
            window.session.last_frame is not None and window.session.last_frame.request == window.frames.shown_request()
        ),
        timeout=WAIT_MS,
    )
    return window.session.last_frame


def _render(window, req: RenderRequest) -> np.ndarray:
    return window.client.engine.call(lambda ctx: render(ctx.model(window.session.model_id), req))


def _wplus_file(path, model_file, seed: int = 0):
    """A W+ latent file with distinct layers for the model in ``model_file``."""
    model = load_model(model_file)
    ws = model.map(model.sample_z([seed, seed + 1]), None)  # [2, num_ws, w_dim]
    mixed = torch.where(torch.arange(ws.shape[1]).reshape(1, -1, 1) % 2 == 0, ws[:1], ws[1:])
    inv = Inversion("w+", "project", mixed.detach(), np.zeros((1, 4, 4, 3), np.uint8))
    return save_latent(path, inv, model)


def test_bookmark_added_to_the_walk_and_exported(window, wait_current, qtbot, tmp_path) -> None:
    wait_current()
    gallery, panel = window.gallery_panel, window.interpolate_panel
    window.latent_panel.seed.setValue(11)
    wait_current()
    window.gallery_panel.bookmark_current()
    window.latent_panel.seed.setValue(3)
    wait_current()
    tile = gallery.marks.itemAt(0).widget()
    [make_current, add_to_walk] = tile.actions()
    assert add_to_walk.text() == "Add to walk"
    add_to_walk.trigger()  # the tile's right-click action
    assert panel.keyframes() == [Keyframe(seed=11, label=gallery.bookmarks[0].name)]
    assert panel.walk_keys.list.item(0).text().startswith(gallery.bookmarks[0].name)
    panel.seed_b.setValue(6)
    gif = tmp_path / "walk.gif"
    window.interpolate_panel.export_video(str(gif), 5, 10, options={"keyframes": panel.keyframes(), "easing": "linear"})
    qtbot.waitUntil(lambda: not window.session.tasks and gif.exists(), timeout=WAIT_MS * 3)
    frames = imageio.mimread(gif)
    assert len(frames) == 5 and frames[0].shape[:2] == (16, 16)
    folder = tmp_path / "frames"
    window.interpolate_panel.export_video(f"{folder}/", 5, 10, options={"keyframes": panel.keyframes()})
    qtbot.waitUntil(lambda: not window.session.tasks and len(list(folder.glob("*.png"))) == 5, timeout=WAIT_MS * 3)
    last = np.asarray(imageio.imread(folder / "frame_00004.png"))
    bookmark = _render(window, RenderRequest(window.session.model_id, seed=11))
    np.testing.assert_array_equal(last.reshape(bookmark.shape), bookmark)  # the walk ends on the bookmark
    make_current.trigger()
    assert window.session.params.latent.seed == 11


def test_keyframe_list_reorder_remove_files_and_wplus(window, wait_current, model_files, tmp_path) -> None:
    wait_current()
    keys = window.interpolate_panel.walk_keys
    keys.seeds.setText("4, 5, 6")
    keys.add_seeds.click()
    assert [k.seed for k in keys.keys] == [4, 5, 6] and keys.seeds.text() == ""
    keys.list.setCurrentRow(2)
    keys.up.click()
    assert [k.seed for k in keys.keys] == [4, 6, 5] and keys.list.currentRow() == 1
    keys.remove.click()
    assert [k.seed for k in keys.keys] == [4, 5]
    lat = _wplus_file(tmp_path / "inv.npz", model_files["m16"])
    assert keys.add_file_path(str(lat))
    assert keys.keys[-1].per_layer and "W+ latent (per-layer)" in keys.list.item(2).text()
    window.interpolate_panel.space.setCurrentText("w")
    reqs = window.interpolate_panel.export_requests(
        7, False, keys.keys
    )  # a per-layer W+ keyframe: the walk moves to w+
    assert {r.edits.interpolation.space for r in reqs} == {"wplus"} and reqs[-1].edits.interpolation.ws_b == keys.keys[
        -1
    ].ws
    other = _wplus_file(tmp_path / "other.npz", model_files["m32"])  # 8 style layers, not 6
    assert not keys.add_file_path(str(other))
    assert "does not fit this model" in window.last_error.text() and len(keys.keys) == 3
    (tmp_path / "junk.npz").write_text("junk")
    assert not keys.add_file_path(str(tmp_path / "junk.npz")) and "not an .npz archive" in window.last_error.text()
    keys.clear.click()
    assert keys.keys == [] and keys.list.count() == 0


def test_scrubber_previews_any_frame_of_the_walk(window, wait_current, qtbot) -> None:
    wait_current()
    panel = window.interpolate_panel
    panel.seed_b.setValue(6)
    panel.add_keyframe(Keyframe(seed=9))
    panel.frames.setValue(5)
    assert panel.scrub.maximum() == 4 and not panel.preview.isChecked()
    current = wait_current().image.copy()
    panel.scrub.setValue(4)  # scrubbing turns the preview on
    assert panel.preview.isChecked() and panel.scrub_label.text() == "5/5"
    res = _shown(qtbot, window)
    expected = window.interpolate_panel.export_requests(5, False, panel.keyframes())[4]
    assert (
        res.request == expected and expected.edits.interpolation.seed_b == 9 and expected.edits.interpolation.t == 1.0
    )
    np.testing.assert_array_equal(res.image, _render(window, RenderRequest(window.session.model_id, seed=9)))
    panel.scrub.setValue(2)
    res = _shown(qtbot, window)
    assert res.request == window.interpolate_panel.export_requests(5, False, panel.keyframes())[2]
    window.gallery_panel.bookmark_current()  # the canvas shows a walk frame, not the current latent
    assert "Preview walk" in window.last_error.text() and window.gallery_panel.bookmarks == []
    panel.preview.click()  # off: the canvas shows the current latent again
    np.testing.assert_array_equal(wait_current().image, current)
