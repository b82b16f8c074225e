"""GUI building blocks: the engine client bridge, settings, parameter state, canvas conversion."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.params import Params, layer_resolution
from engine.api import RenderRequest
from engine.families.base import Capabilities, WSpace
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt

CAPS16 = Capabilities(
    family="x",
    task="unconditional",
    resolution=16,
    channels=3,
    z_dim=16,
    w_space=WSpace(w_dim=16, num_ws=6, has_w_avg=True),
    noise_layers=5,
)


def test_client_drops_stale_frames_and_emits_on_gui_thread(qtbot, client, engine, model_files) -> None:
    mid, caps, _ = engine.load_sync(model_files["m16"], "m16", timeout=60)
    seen: list[tuple[int, str]] = []
    client.frame.connect(lambda r: seen.append((r.generation, threading.current_thread().name)))
    g1 = client.submit(RenderRequest(mid, seed=1))
    g2 = client.submit(RenderRequest(mid, seed=2))
    assert g2 == g1 + 1 == client.latest_generation()
    qtbot.waitUntil(lambda: any(g == g2 for g, _ in seen), timeout=WAIT_MS)
    qtbot.wait(50)
    assert [g for g, _ in seen] == [g2]
    assert {t for _, t in seen} == {threading.main_thread().name}


def test_client_load_signals(qtbot, client, model_files, tmp_path) -> None:
    with qtbot.waitSignal(client.model_loaded, timeout=WAIT_MS) as loaded:
        client.load(str(model_files["m16"]))
    model_id, caps, meta = loaded.args
    assert caps.resolution == 16 and meta["source"] == str(model_files["m16"]) and model_id.startswith("m16")
    missing = tmp_path / "nope.safetensors"
    with qtbot.waitSignal(client.load_failed, timeout=WAIT_MS) as failed:
        client.load(str(missing))
    assert failed.args[0] == str(missing) and "no such file" in failed.args[1]


def test_client_job_progress_and_done(qtbot, client) -> None:
    progress = []
    client.job_progress.connect(progress.append)

    def job(ctx):
        for i in range(3):
            yield (i + 1, 3, f"step {i + 1}")
        return "finished"

    with qtbot.waitSignal(client.job_done, timeout=WAIT_MS) as done:
        client.submit_job("three steps", job)
    assert done.args[0].value == "finished"
    assert [p.done for p in progress] == [1, 2, 3]


def test_settings_recent_list_is_capped_and_persists() -> None:
    from app.settings import MAX_RECENT, Settings

    s = Settings()
    assert s.recent() == [] and s.smooth_scaling is True
    for i in range(15):
        s.add_recent(f"/models/m{i}.safetensors")
    s.add_recent("/models/m3.safetensors")
    s.smooth_scaling = False
    s.sync()
    again = Settings()
    assert len(again.recent()) == MAX_RECENT
    assert again.recent()[0] == "/models/m3.safetensors" and again.recent().count("/models/m3.safetensors") == 1
    assert again.smooth_scaling is False
    s.clear_recent()
    s.add_recent("only")
    assert Settings().recent() == ["only"]


def test_params_adapt_and_build_requests() -> None:
    p = Params(seed=5, style_mix=(1.0,) * 10, noise_layer_strengths=(0.5,) * 2, cutoff=9).adapted(CAPS16)
    assert len(p.style_mix) == 6 and p.noise_layer_strengths == (0.5, 0.5, 1.0, 1.0, 1.0) and p.cutoff == 6
    req = p.to_request("m", CAPS16)
    assert req.seed == 5 and req.mix_seed == 1 and req.style_mix == (1.0,) * 6 and req.cutoff == 6
    plain = Params().adapted(CAPS16).to_request("m", CAPS16)
    assert plain.mix_seed is None and plain.style_mix == () and plain.cutoff is None
    assert [layer_resolution(i, CAPS16) for i in range(6)] == [4, 8, 8, 16, 16, 16]
    assert [layer_resolution(i, CAPS16, "noise") for i in range(5)] == [4, 8, 8, 16, 16]


def test_canvas_converts_gray_and_rgb(qtbot) -> None:
    from app.canvas import Canvas, to_qimage

    gray = to_qimage(np.full((4, 6, 1), 200, np.uint8))
    assert (gray.width(), gray.height()) == (6, 4) and gray.pixelColor(0, 0).red() == 200
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 200)
    canvas.set_frame(np.zeros((8, 8, 3), np.uint8))
    r = canvas.target_rect()
    assert (r.width(), r.height(), r.x()) == (200, 200, 50)


def test_drop_rejection_reasons(tmp_path) -> None:
    from app.main_window import drop_rejection

    assert drop_rejection(str(tmp_path / "a.pkl")) is None
    assert "folder" in drop_rejection(str(tmp_path))
    assert "image" in drop_rejection(str(tmp_path / "face.png"))
    assert "not a model checkpoint" in drop_rejection(str(tmp_path / "notes.txt"))
