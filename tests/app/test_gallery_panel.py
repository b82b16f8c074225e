"""The Gallery panel: bookmarks with thumbnails in a project file, attribute vectors from picked samples."""

from __future__ import annotations

import numpy as np
import pytest

from engine.families import get_family
from engine.latent.gallery import Bookmark, GalleryError, attribute_vector, load_project, save_project
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def test_project_round_trip_and_bad_files(tmp_path) -> None:
    marks = [Bookmark("a", 3, None, None, b""), Bookmark("b", 4, (0.5, -1.0), 2, b"")]
    save_project(tmp_path / "p.latentlab.json", "m", marks)
    model, back = load_project(tmp_path / "p.latentlab.json")
    assert model == "m" and back == marks
    (tmp_path / "x.json").write_text('{"format": "something else"}')
    with pytest.raises(GalleryError, match="not a LatentLab project"):
        load_project(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{")
    with pytest.raises(GalleryError, match="not a readable"):
        load_project(tmp_path / "y.json")


def test_attribute_vector_is_mean_difference() -> None:
    fam = get_family("dcgan")
    model = fam.new(fam.tiny_config())
    vec = attribute_vector(model, [1, 2], [3, 4, 5], "z")
    z = model.sample_z([1, 2, 3, 4, 5])
    np.testing.assert_allclose(vec, (z[:2].mean(0) - z[2:].mean(0)).numpy(), rtol=1e-5)
    with pytest.raises(GalleryError, match="pick at least one"):
        attribute_vector(model, [], [1], "z")
    with pytest.raises(GalleryError, match="no W space"):
        attribute_vector(model, [1], [2], "w")


def test_bookmark_save_open_and_apply(window, wait_current, qtbot, tmp_path) -> None:
    wait_current()
    panel = window.gallery_panel
    window.latent_panel.seed.setValue(11)
    frame11 = wait_current().image.copy()
    window.gallery_panel.bookmark_current()
    window.latent_panel.seed.setValue(12)
    wait_current()
    window.gallery_panel.bookmark_current()
    assert len(panel.bookmarks) == 2 and panel.bookmarks[0].seed == 11
    assert panel.bookmarks[0].thumbnail_array().shape[2] == frame11.shape[2]
    path = panel.save_file(str(tmp_path / "g.latentlab.json"))
    panel.set_capabilities(window.session.caps)
    assert panel.open_file(str(path)) and len(panel.bookmarks) == 2
    panel.apply_bookmark(panel.bookmarks[0])
    assert window.session.params.latent.seed == 11
    np.testing.assert_array_equal(wait_current().image, frame11)


def test_attribute_from_picked_samples_moves_the_image(window, wait_current, qtbot) -> None:
    before = wait_current().image.copy()
    panel = window.gallery_panel
    panel.request_samples()
    qtbot.waitUntil(lambda: len(panel.sample_tiles) == 12, timeout=WAIT_MS)
    assert not panel.compute.isEnabled()
    for tile in panel.sample_tiles[:4]:
        tile.set_checked(True)
    panel._sync()
    assert panel.compute.isEnabled()
    panel.compute.click()
    qtbot.waitUntil(lambda: window.session.params.attribute.vector is not None, timeout=WAIT_MS)
    assert window.session.params.attribute.space == "w" and window.session.params.attribute.strength == 1.0
    res = wait_current()
    assert res.request.edits.w_offset is not None and not np.array_equal(res.image, before)
    panel.strength.set_float(0.0)
    panel._strength_changed(0.0)
    res = wait_current()
    assert res.request.edits.w_offset is None
    np.testing.assert_array_equal(res.image, before)
