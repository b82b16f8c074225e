"""StyleGAN3 in the explorer: the transform panel (translate/rotate, live, undoable, Reset), no noise
panel, and every W tool (truncation, per-layer style mixing, interpolation, arithmetic, SeFa/PCA,
projection, video export) on a tiny StyleGAN3, with the transform carried through."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from app.params import Params
from engine.api import RenderRequest, Transform
from engine.families.base import Capabilities, WSpace
from engine.render import render
from tests.app.conftest import WAIT_MS
from tests.app.test_discover_panel import _compute

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def sg3_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny native StyleGAN3 whose input affine is learned (non-zero), as in a trained model."""
    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(3)
    fam = get_family("stylegan3")
    model = fam.new(fam.tiny_config())
    model.module.synthesis.input.affine.weight.data.normal_()
    return save_native(model, tmp_path_factory.mktemp("sg3") / "tiny-sg3.safetensors")


@pytest.fixture
def sg3_window(window, qtbot, wait_current, sg3_file):
    window.open_model(str(sg3_file))
    qtbot.waitUntil(lambda: window.session.model.name == "tiny-sg3", timeout=WAIT_MS)
    wait_current()
    return window


def _render(window, req: RenderRequest) -> np.ndarray:
    return window.client.engine.call(
        lambda ctx: render(ctx.model(window.session.model_id), req), timeout=WAIT_MS / 1000
    )


def test_params_carry_the_transform_only_for_models_with_one() -> None:
    sg3 = Capabilities("stylegan3", "unconditional", 16, 3, 16, w_space=WSpace(16, 6, True), input_transform=True)
    sg2 = Capabilities("stylegan2", "unconditional", 16, 3, 16, w_space=WSpace(16, 6, True), noise_layers=5)
    p = Params().replace(transform={"rotate": 30.0, "translate_x": 0.25})
    assert p.transform == Transform(0.25, 0.0, 30.0)
    assert p.to_request("m", sg3).transform == Transform(0.25, 0.0, 30.0)
    assert p.to_request("m", sg2).transform.is_identity
    assert p.adapted(sg3).transform == p.transform and p.adapted(sg2).transform == Transform()


def test_rotate_slider_gives_a_new_frame_undo_and_reset(sg3_window, wait_current, qtbot, model_files) -> None:
    w = sg3_window
    panel = w.transform_panel
    assert not w.docks["transform"].isHidden() and w.docks["noise"].isHidden()
    for name in ("styles", "truncation", "interpolate", "arithmetic", "discover", "encode", "latent"):
        assert not w.docks[name].isHidden(), name
    before = wait_current()
    assert before.request.transform.is_identity and not panel.reset.isEnabled()

    panel.rotate.setValue(panel.rotate.to_int(30.0))  # as a user drags it
    assert w.session.params.transform.rotate == 30.0 and panel.spins["rotate"].value() == 30.0
    rotated = wait_current()
    assert rotated.request.transform == Transform(rotate=30.0)
    assert not np.array_equal(rotated.image, before.image)
    np.testing.assert_array_equal(
        rotated.image, _render(w, RenderRequest("x", seed=before.request.latent.seed, rotate=30))
    )
    assert panel.reset.isEnabled()

    panel.spins["translate_x"].setValue(0.2)
    assert panel.translate_x.float_value() == 0.2
    moved = wait_current()
    assert moved.request.transform == Transform(0.2, 0.0, 30.0) and not np.array_equal(moved.image, rotated.image)

    w.undo_action.trigger()
    assert w.session.params.transform == Transform(rotate=30.0) and panel.spins["translate_x"].value() == 0.0
    panel.reset.click()
    assert w.session.params.transform.is_identity and panel.rotate.float_value() == 0.0
    np.testing.assert_array_equal(wait_current().image, before.image)
    w.undo_action.trigger()
    assert w.session.params.transform == Transform(rotate=30.0)

    # A model without an input transform hides the panel and renders without one.
    w.open_model(str(model_files["m16"]))
    qtbot.waitUntil(lambda: w.session.model.name == "m16", timeout=WAIT_MS)
    assert w.docks["transform"].isHidden() and not w.docks["noise"].isHidden()
    assert wait_current().request.transform.is_identity


def test_w_tools_work_on_stylegan3_with_the_transform(sg3_window, wait_current, qtbot, tmp_path) -> None:
    w = sg3_window
    w.transform_panel.rotate.setValue(w.transform_panel.rotate.to_int(15.0))
    base = wait_current().image

    # Truncation.
    w.truncation_panel.psi_slider.setValue(w.truncation_panel.psi_slider.to_int(0.4))
    res = wait_current()
    assert res.request.truncation.psi == 0.4 and not np.array_equal(res.image, base)
    w.undo_action.trigger()
    # Style mixing, one layer at a time.
    row = w.styles_panel.rows[3]
    row.slider.setValue(row.slider.to_int(1.0))
    res = wait_current()
    assert res.request.mix.weights[3] == 1.0 and sum(res.request.mix.weights) == 1.0
    assert not np.array_equal(res.image, base) and res.request.transform.rotate == 15.0
    w.undo_action.trigger()
    np.testing.assert_array_equal(wait_current().image, base)
    # Interpolation in w.
    w.interpolate_panel.space.setCurrentText("w")
    w.interpolate_panel.enabled.setChecked(True)
    res = wait_current()
    assert res.request.edits.interpolation.space == "w" and not np.array_equal(res.image, base)
    w.interpolate_panel.enabled.setChecked(False)
    # Arithmetic in w.
    w.arithmetic_panel.enabled.setChecked(True)
    w.arithmetic_panel.space.setCurrentText("w")
    res = wait_current()
    assert res.request.edits.arithmetic.space == "w" and not np.array_equal(res.image, base)
    w.arithmetic_panel.enabled.setChecked(False)
    np.testing.assert_array_equal(wait_current().image, base)
    # SeFa (PCA runs the same job) discovery, then a move along the first direction.
    _compute(w, qtbot, "sefa")
    assert w.discover_panel.directions.space == "w"
    first = w.discover_panel.rows[0]
    first.slider.setValue(first.slider.to_int(3.0))
    res = wait_current()
    assert res.request.edits.w_offset is not None and not np.array_equal(res.image, base)
    w.discover_panel.reset_all.click()
    _compute(w, qtbot, "pca")
    qtbot.waitUntil(lambda: w.discover_panel.directions.method == "pca", timeout=WAIT_MS)

    # Video export: the walk's frames carry the transform.
    w.interpolate_panel.seed_b.setValue(6)
    reqs = w.interpolate_panel.export_requests(4, False)
    assert all(r.transform == Transform(rotate=15.0) for r in reqs)
    folder = tmp_path / "frames"
    w.interpolate_panel.export_video(f"{folder}/", 4, 12)
    qtbot.waitUntil(lambda: not w.session.tasks and len(list(folder.glob("*.png"))) == 4, timeout=WAIT_MS * 3)
    np.testing.assert_array_equal(np.asarray(Image.open(folder / "frame_00000.png"))[..., :3], _render(w, reqs[0]))

    # Projection of an image into W+ (the Encode panel), then the transform still applies to it.
    rng = np.random.default_rng(5)
    image = tmp_path / "x.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(image)
    w.encode_panel.steps.setValue(10)
    w.encode_panel.take_image(str(image))
    qtbot.waitUntil(lambda: w.session.params.latent.ws is not None, timeout=WAIT_MS * 3)
    res = wait_current()
    assert res.request.latent.ws is not None and res.request.transform == Transform(rotate=15.0)
