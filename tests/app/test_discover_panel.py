"""The Discover panel: compute SeFa/PCA as an engine job, sliders move the image, layer ranges,
save/load .npz, undo, and a clear dialog for a file that does not fit."""

from __future__ import annotations

import numpy as np
import pytest

from engine.latent.directions import Directions
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def _compute(window, qtbot, method: str = "sefa", first: int | None = None, last: int | None = None) -> None:
    panel = window.discover_panel
    panel.method.setCurrentIndex(panel.method.findData(method))
    panel.k.setValue(3)
    if first is not None:
        panel.layers_row.setValue((first, last))
    panel.compute.click()
    qtbot.waitUntil(lambda: panel.directions is not None and len(panel.rows) == 3, timeout=WAIT_MS)


def test_sefa_on_layer_range_moves_the_image_and_undoes(window, wait_current, qtbot) -> None:
    before = wait_current().image.copy()
    assert not window.docks["discover"].isHidden()
    methods = [window.discover_panel.method.itemData(i) for i in range(window.discover_panel.method.count())]
    assert methods == ["sefa", "pca"]
    _compute(window, qtbot, "sefa", 1, 2)
    panel = window.discover_panel
    assert panel.directions.layers == (1, 3) and panel.directions.space == "w"
    row = panel.rows[0]
    row.slider.setValue(row.slider.to_int(3.0))
    panel.committed.emit()
    res = wait_current()
    assert res.request.edits.w_offset_layers == (1, 3) and res.request.edits.w_offset is not None
    assert not np.array_equal(res.image, before)
    expected = panel.directions.offset([3.0])
    np.testing.assert_allclose(res.request.edits.w_offset, expected, rtol=1e-5)
    window.session.undo_stack.undo()
    assert window.session.params.found.sliders[0] == 0.0 and row.value() == 0.0
    np.testing.assert_array_equal(wait_current().image, before)


def test_pca_job_and_save_load(window, wait_current, qtbot, tmp_path) -> None:
    _compute(window, qtbot, "pca")
    panel = window.discover_panel
    assert panel.directions.method == "pca" and panel.directions.layers is None
    path = panel.save_file(str(tmp_path / "dirs.npz"))
    assert Directions.load(path).vectors.shape == panel.directions.vectors.shape
    panel.set_capabilities(window.session.caps)  # forget them
    assert panel.directions is None and not panel.rows
    assert panel.load_file(str(path)) and len(panel.rows) == 3


def test_loading_directions_of_another_model_shows_a_dialog(window, qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    wrong = Directions("sefa", "w", np.eye(3, 7, dtype=np.float32), np.ones(3, np.float32))
    path = wrong.save(tmp_path / "wrong.npz")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    assert not window.discover_panel.load_file(str(path))
    assert shown and "7 dims" in shown[0]
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert not window.discover_panel.load_file(str(tmp_path / "junk.npz"))
    assert "not a LatentLab directions file" in shown[1]
