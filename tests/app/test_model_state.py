"""State that persists: a relaunch (a new window on the same settings) restores each model's seed, ψ,
cutoff, style mix, noise, walk and gallery project; opening another model keeps the walk."""

from __future__ import annotations

import numpy as np
import pytest

from app.model_state import keyframes_from_state, keyframes_to_state, params_from_state, params_to_state
from app.params import Params
from engine.families.base import Capabilities, WSpace
from engine.latent.keyframes import Keyframe
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def _open(qtbot, win, path) -> None:
    name = path.stem
    win.open_model(str(path))
    qtbot.waitUntil(
        lambda: win.session.model is not None and win.session.model.name == name and win.session.last_frame is not None,
        timeout=WAIT_MS,
    )


def test_relaunch_restores_the_model_state(window, wait_current, qtbot, client, model_files, tmp_path) -> None:
    from app.main_window import MainWindow
    from app.settings import Settings

    wait_current()
    edits = {
        "latent": {"seed": 42},
        "truncation": {"psi": 0.6, "cutoff": 2},
        "mix": {"seed": 7, "weights": (0.0, 1.0, 0.0, 0.0, 0.0, 0.5)},
        "noise": {"mode": "random", "strength": 0.5, "seed": 3},
        "interpolation": {"seed_b": 11},
    }
    window.session.edit("test", edits)
    panel = window.interpolate_panel
    panel.walk_keys.seeds.setText("9, 14")
    panel.walk_keys.add_typed_seeds()
    ws = np.full((6, 16), 0.25, np.float32)
    assert panel.add_keyframe(Keyframe(seed=3, ws=ws, label="inverted"))
    panel.frames.setValue(48)
    panel.loop.setChecked(True)
    window.gallery_panel.bookmark_current()
    project = tmp_path / "marks.latentlab.json"
    assert window.gallery_panel.save_file(str(project)) is not None
    window.close()

    again = MainWindow(client, Settings())
    qtbot.addWidget(again)
    again.show()
    _open(qtbot, again, model_files["m16"])
    p = again.session.params
    assert p.latent.seed == 42 and p.truncation.psi == pytest.approx(0.6) and p.truncation.cutoff == 2
    assert p.mix.seed == 7 and p.mix.weights == (0.0, 1.0, 0.0, 0.0, 0.0, 0.5)
    assert (p.noise.mode, p.noise.strength, p.noise.seed) == ("random", 0.5, 3)
    assert p.interpolation.seed_b == 11
    keys = again.interpolate_panel.keyframes()
    assert [k.seed for k in keys] == [9, 14, 3] and np.array_equal(keys[2].ws.array, ws)
    assert again.interpolate_panel.frames.value() == 48 and again.interpolate_panel.loop.isChecked()
    assert len(again.gallery_panel.bookmarks) == 1 and again.gallery_panel.project_path == str(project.resolve())
    # What is shown is what was restored (the panels and the frame).
    assert again.latent_panel.seed.value() == 42
    qtbot.waitUntil(lambda: again.session.last_frame.request.latent.seed == 42, timeout=WAIT_MS)
    assert again.session.undo_stack.count() == 0  # restoring is not an edit
    again.close()


def test_each_model_keeps_its_own_state_and_the_walk_carries_over(window, wait_current, qtbot, model_files) -> None:
    wait_current()
    window.session.edit("seed", {"latent": {"seed": 42}})
    panel = window.interpolate_panel
    panel.walk_keys.seeds.setText("5, 6")
    panel.walk_keys.add_typed_seeds()
    _open(qtbot, window, model_files["m32"])  # e.g. a retrained model: the walk and the seed come along
    assert [k.seed for k in panel.keyframes()] == [5, 6]
    assert window.session.params.latent.seed == 42
    window.session.edit("seed", {"latent": {"seed": 7}})
    _open(qtbot, window, model_files["m16"])
    assert window.session.params.latent.seed == 42
    _open(qtbot, window, model_files["m32"])
    assert window.session.params.latent.seed == 7


def test_state_round_trip_and_bad_state() -> None:
    w = WSpace(w_dim=16, num_ws=6, has_w_avg=True)
    caps = Capabilities("stylegan2", "unconditional", 16, 3, 16, w_space=w, noise_layers=5)
    p = Params().adapted(caps).replace(latent={"seed": 5}, truncation={"psi": 0.5, "cutoff": 3})
    assert params_from_state(Params().adapted(caps), params_to_state(p), caps) == p
    assert params_from_state(p, {"seed": "x"}, caps) == p  # unreadable: unchanged
    keys = [Keyframe(seed=1), Keyframe(seed=2, z=np.ones(16, np.float32)), Keyframe(seed=3, ws=np.ones((6, 16)))]
    assert keyframes_from_state(keyframes_to_state(keys), caps) == keys
    small = Capabilities("dcgan", "unconditional", 16, 3, 8)
    assert [k.seed for k in keyframes_from_state(keyframes_to_state(keys), small)] == [1]  # only what fits
