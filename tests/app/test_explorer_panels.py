"""Interpolate, Arithmetic, Encode and Directions panels on tiny models (StyleGAN2 and a VAE)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.api import Interpolation, LatentTerm, RenderRequest
from engine.render import render
from tests.app.conftest import WAIT_MS
from tests.app.test_main_window import drop_files

pytestmark = pytest.mark.qt


def make_tiny_vae(path: Path) -> Path:
    """A random tiny VAE with principal directions fitted on random images, saved natively."""
    from engine.checkpoints.native import save_native
    from engine.families import get_family
    from engine.families.vae import fit_directions

    torch.manual_seed(0)
    fam = get_family("vae")
    cfg = fam.tiny_config()
    model = fam.wrap(fam.build(cfg), cfg)
    images = torch.rand(
        32, cfg.img_channels, cfg.resolution, cfg.resolution, generator=torch.Generator().manual_seed(0)
    )
    fit_directions(model.module, images * 2 - 1)
    return save_native(model, path)


@pytest.fixture(scope="module")
def vae_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_vae(tmp_path_factory.mktemp("vae") / "tinyvae.safetensors")


@pytest.fixture
def vae_window(window, vae_file, qtbot, wait_current):
    window.open_model(str(vae_file))
    qtbot.waitUntil(lambda: window.session.model.name == "tinyvae", timeout=WAIT_MS)
    wait_current()
    return window


def _image_file(path: Path, size=(24, 20), mode="RGB") -> Path:
    rng = np.random.default_rng(3)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path)
    return path


def test_panels_follow_capabilities(window, vae_window) -> None:
    w = vae_window
    assert w.session.caps.latent_directions == 3 and w.session.caps.encodes_into == "z"
    for name in ("interpolate", "arithmetic", "encode", "directions", "latent"):
        assert not w.docks[name].isHidden(), name
    for name in ("styles", "noise", "truncation"):
        assert w.docks[name].isHidden(), name
    assert len(w.directions_panel.rows) == 3
    spaces = [w.interpolate_panel.space.itemText(i) for i in range(w.interpolate_panel.space.count())]
    assert spaces == ["z"] and not w.interpolate_panel.space.isEnabled()


def test_stylegan_has_w_spaces_projection_and_no_directions(window, wait_current) -> None:
    wait_current()
    assert window.docks["directions"].isHidden()
    assert not window.docks["encode"].isHidden()  # images are inverted by projection into W / W+
    method = window.encode_panel.method
    assert [method.itemData(i) for i in range(method.count())] == ["project"]
    assert not window.docks["interpolate"].isHidden() and not window.docks["arithmetic"].isHidden()
    combo = window.arithmetic_panel.space
    assert [combo.itemText(i) for i in range(combo.count())] == ["z", "w"]
    combo = window.interpolate_panel.space
    assert [combo.itemText(i) for i in range(combo.count())] == ["z", "w", "wplus"]  # w+: per-layer w


def test_interpolation_controls_make_the_request(window, wait_current) -> None:
    before = wait_current().image.copy()
    panel = window.interpolate_panel
    panel.seed_b.setValue(9)
    panel.space.setCurrentText("w")
    panel.method.setCurrentText("lerp")
    panel.t_slider.setValue(panel.t_slider.to_int(1.0))
    res = wait_current()
    assert res.request.edits.interpolation == Interpolation(9, 1.0, "lerp", "w")
    # t = 1 is exactly seed B's frame.
    plain_b = window.client.engine.call(
        lambda ctx: render(ctx.model(window.session.model_id), RenderRequest("x", seed=9))
    )
    np.testing.assert_array_equal(res.image, plain_b)
    assert not np.array_equal(res.image, before)
    panel.enabled.setChecked(False)
    assert wait_current().request.edits.interpolation is None


def test_make_b_current_and_undo(window, wait_current) -> None:
    wait_current()
    window.latent_panel.seed.setValue(4)
    panel = window.interpolate_panel
    panel.seed_b.setValue(12)
    panel.make_current.click()
    assert (
        window.session.params.latent.seed == 12
        and window.session.params.interpolation.seed_b == 4
        and window.session.params.interpolation.t == 0.0
    )
    assert window.latent_panel.seed.value() == 12 and panel.seed_b.value() == 4
    assert wait_current().request.latent.seed == 12
    window.undo_action.trigger()
    assert window.session.params.latent.seed == 4 and window.session.params.interpolation.seed_b == 12


def test_play_animates_t_without_undo_steps(window, wait_current) -> None:
    wait_current()
    panel = window.interpolate_panel
    panel.set_playing(True)
    assert panel.timer.isActive() and panel.play.text() == "Pause" and window.session.params.interpolating
    steps = window.session.undo_stack.count()
    t0 = window.session.params.interpolation.t
    for _ in range(3):
        panel.tick()
    assert window.session.params.interpolation.t == pytest.approx(t0 + 0.06)
    assert panel.t_slider.float_value() == pytest.approx(t0 + 0.06)
    assert window.session.undo_stack.count() == steps
    for _ in range(40):  # bounces at 1 and comes back
        panel.tick()
    assert window.session.params.interpolation.t < 1.0 and panel.direction == -1.0
    panel.play.click()
    assert not panel.timer.isActive() and panel.play.text() == "Play"
    assert wait_current().request.edits.interpolation.t == window.session.params.interpolation.t


def test_arithmetic_terms_and_thumbnails(window, wait_current, qtbot) -> None:
    wait_current()
    panel = window.arithmetic_panel
    panel.seeds[1].setValue(5)
    panel.seeds[2].setValue(6)
    panel.weights[1].setValue(-0.5)
    panel.enabled.setChecked(True)
    panel.space.setCurrentText("w")
    res = wait_current()
    seed = window.session.params.latent.seed
    assert res.request.edits.arithmetic.terms == (LatentTerm(None, 1.0), LatentTerm(5, -0.5), LatentTerm(6, 1.0))
    assert res.request.edits.arithmetic.space == "w"
    qtbot.waitUntil(lambda: all(t.frame is not None for t in panel.thumbs), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.frames._side_sent["arith-b"].latent.seed == 5, timeout=WAIT_MS)

    def thumb_for(s: int) -> np.ndarray:
        return window.client.engine.call(
            lambda ctx: render(ctx.model(window.session.model_id), RenderRequest("x", seed=s))
        )

    qtbot.waitUntil(lambda: np.array_equal(panel.thumbs[1].frame, thumb_for(5)), timeout=WAIT_MS)
    np.testing.assert_array_equal(panel.thumbs[0].frame, thumb_for(seed))
    # The A seed box is the main seed.
    panel.seeds[0].setValue(21)
    assert window.session.params.latent.seed == 21 and window.latent_panel.seed.value() == 21
    window.undo_action.trigger()
    assert window.session.params.latent.seed == seed


def test_encode_dropped_image_makes_its_z_current(vae_window, wait_current, qtbot, tmp_path) -> None:
    w = vae_window
    img = _image_file(tmp_path / "photo.png")
    drop_files(w, [img])
    qtbot.waitUntil(lambda: w.session.params.latent.z is not None, timeout=WAIT_MS)
    panel = w.encode_panel
    assert panel.input_view.frame.shape == (16, 16, 1) and panel.recon_view.frame.shape == (16, 16, 1)
    res = wait_current()
    assert res.request.latent.z == w.session.params.latent.z and len(res.request.latent.z) == 6
    np.testing.assert_array_equal(res.image, panel.recon_view.frame)
    assert panel.forget.isEnabled()
    # Other panels now work from the encoded latent.
    w.interpolate_panel.t_slider.setValue(w.interpolate_panel.t_slider.to_int(0.3))
    res = wait_current()
    assert res.request.latent.z == w.session.params.latent.z and res.request.edits.interpolation.t == 0.3
    # Undo steps back (interpolation, then the encoding).
    w.undo_action.trigger()
    w.undo_action.trigger()
    assert w.session.params.latent.z is None and wait_current().request.latent.z is None
    w.redo_action.trigger()
    assert w.session.params.latent.z is not None
    panel.forget.click()
    assert w.session.params.latent.z is None


def test_dropping_image_on_the_panel_encodes_it(vae_window, qtbot, tmp_path) -> None:
    img = _image_file(tmp_path / "gray.png", mode="L")
    drop_files(vae_window.encode_panel, [img])
    qtbot.waitUntil(lambda: vae_window.session.params.latent.z is not None, timeout=WAIT_MS)
    assert vae_window.last_error is None


def test_bad_image_shows_dialog_and_keeps_running(vae_window, wait_current, qtbot, tmp_path) -> None:
    w = vae_window
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG but not really")
    drop_files(w, [bad])
    qtbot.waitUntil(lambda: w.last_error is not None, timeout=WAIT_MS)
    assert "broken.png" in w.last_error.text() and "not a readable image" in w.last_error.text()
    w.last_error.close()
    assert w.session.params.latent.z is None
    w.latent_panel.seed.setValue(8)
    assert wait_current().request.latent.seed == 8


def test_directions_sliders_and_reset(vae_window, wait_current) -> None:
    w = vae_window
    before = wait_current().image.copy()
    row = w.directions_panel.rows[1]
    row.slider.setValue(row.slider.to_int(2.5))
    assert w.session.params.directions == (0.0, 2.5, 0.0)
    res = wait_current()
    assert res.request.edits.directions == (0.0, 2.5, 0.0)
    assert not np.array_equal(res.image, before)
    w.directions_panel.reset_all.click()
    assert w.session.params.directions == (0.0, 0.0, 0.0)
    res = wait_current()
    assert res.request.edits.directions == ()
    np.testing.assert_array_equal(res.image, before)


def test_export_video_job_writes_the_walk(window, wait_current, qtbot, tmp_path) -> None:
    import imageio.v2 as imageio

    wait_current()
    window.interpolate_panel.seed_b.setValue(6)
    out = tmp_path / "walk.mp4"
    window.interpolate_panel.space.setCurrentText("w")
    window.interpolate_panel.export_video(str(out), 9, 12, loop=True)
    qtbot.waitUntil(lambda: not window.session.tasks and out.exists(), timeout=WAIT_MS * 3)
    frames = [f for f in imageio.get_reader(out)]
    assert len(frames) == 9 and frames[0].shape[:2] == (window.session.caps.resolution,) * 2
    first = window.client.engine.call(
        lambda ctx: render(ctx.model(window.session.model_id), window.interpolate_panel.export_requests(9, True)[0])
    )
    folder = tmp_path / "frames"
    window.interpolate_panel.export_video(f"{folder}/", 9, 12, loop=True)  # lossless PNG frames
    qtbot.waitUntil(lambda: not window.session.tasks and len(list(folder.glob("*.png"))) == 9, timeout=WAIT_MS * 3)
    np.testing.assert_array_equal(np.asarray(Image.open(folder / "frame_00000.png"))[..., :3], first)
    assert window.interpolate_panel.export_requests(9, True)[3].edits.interpolation.space == "w"
    keyed = window.interpolate_panel.export_requests(12, False, [20, 30], "smooth")
    assert [r.latent.seed for r in keyed[::4]] == [
        window.session.params.latent.seed,
        6,
        20,
    ]  # A, B, then the typed keyframes
    assert keyed[-1].edits.interpolation.seed_b == 30 and keyed[-1].edits.interpolation.t == 1.0
    window.interpolate_panel.walk_keys.seeds.setText("20, x")
    window.interpolate_panel.walk_keys.add_seeds.click()
    assert "'x' is not a seed" in window.last_error.text() and window.interpolate_panel.keyframes() == []
    window.interpolate_panel.export_video(str(tmp_path / "bad.avi"), 5, 12)
    assert window.last_error is not None and "unknown output type" in window.last_error.text()
