"""Issue 6's acceptance with the bundled pSp encoder: a dropped emoji is inverted into W+ by
``emoji-psp`` (better than the decoder's average image), edited, and exported as a walk."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from PIL import Image

from engine import zoo
from engine.checkpoints.loader import load_model
from tests.app.conftest import WAIT_MS
from tests.app.test_main_window import drop_files

pytestmark = pytest.mark.qt


def test_bundled_psp_inverts_a_dropped_emoji_then_edit_and_export(window, wait_current, qtbot, tmp_path) -> None:
    w = window
    w.open_model("emoji-psp")
    qtbot.waitUntil(lambda: w.session.model.name == "emoji-psp", timeout=WAIT_MS)
    wait_current()
    assert w.encode_panel.method.currentData() == "encoder"
    data = np.load(zoo.data_path("emoji-fhh64.npz"))  # the decoder's data: faces, hands and hearts
    emoji = data["images"][list(data["names"]).index("1F600")]  # grinning face
    path = tmp_path / "emoji.png"
    Image.fromarray(emoji).save(path)
    drop_files(w.encode_panel, [path])
    qtbot.waitUntil(lambda: w.session.params.latent.ws is not None, timeout=WAIT_MS)
    res = wait_current()
    rec = res.image.astype(np.float64) / 255
    model = load_model("emoji-psp")
    with torch.no_grad():
        avg = model.decode(model.latent_avg[None]).clamp(-1, 1)[0].permute(1, 2, 0).numpy() / 2 + 0.5
    target = emoji.astype(np.float64) / 255
    assert ((rec - target) ** 2).mean() < 0.7 * ((avg - target) ** 2).mean()
    # Edit the inverted latent (truncation toward the average), then export a walk from it to a seed.
    w.session.edit("psi", {"truncation": {"psi": 0.5}})
    edited = wait_current()
    assert edited.request.latent.ws == w.session.params.latent.ws and not np.array_equal(edited.image, res.image)
    gif = tmp_path / "walk.gif"
    panel = w.interpolate_panel
    w.interpolate_panel.export_video(str(gif), 6, 10, options={"keyframes": panel.keyframes(), "easing": "linear"})
    qtbot.waitUntil(lambda: not w.session.tasks and gif.exists(), timeout=WAIT_MS * 3)
    frames = imageio.mimread(gif)
    assert len(frames) == 6 and frames[0].shape[:2] == (64, 64)
