"""GUI building blocks: the engine client bridge, settings, parameter state, canvas conversion."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.params import Params
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


def test_client_frames_follow_the_stamp_rule_on_the_gui_thread(qtbot, client, engine, model_files) -> None:
    """A request waiting in a channel is replaced by a newer one (latest wins); every result that
    comes back is shown, in order, except those submitted before ``invalidate()``."""
    import time

    mid, caps, _ = engine.load_sync(model_files["m16"], "m16", timeout=60)
    seen: list[tuple[int, str]] = []
    client.frame.connect(lambda ch, r, _prepared: seen.append((r.generation, threading.current_thread().name)))
    gate = threading.Event()
    hold = engine.submit_job("hold", lambda ctx: gate.wait(WAIT_MS / 1000))
    qtbot.waitUntil(lambda: engine.busy, timeout=WAIT_MS)
    g1 = client.submit(RenderRequest(mid, seed=1))
    g2 = client.submit(RenderRequest(mid, seed=2))  # replaces g1, which is still waiting
    gate.set()
    hold.wait(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: any(g == g2 for g, _ in seen), timeout=WAIT_MS)
    assert [g for g, _ in seen] == [g2] and g1 < g2
    g3 = client.submit(RenderRequest(mid, seed=3))
    t0 = time.monotonic()
    while engine.pending("main") and time.monotonic() - t0 < WAIT_MS / 1000:
        time.sleep(0.005)  # the engine has taken g3; its result cannot reach this thread yet
    client.invalidate()  # e.g. another model was opened: g3 is stale
    g4 = client.submit(RenderRequest(mid, seed=4))
    qtbot.waitUntil(lambda: any(g == g4 for g, _ in seen), timeout=WAIT_MS)
    qtbot.wait(50)
    assert [g for g, _ in seen] == [g2, g4] and g3 < g4
    assert {t for _, t in seen} == {threading.main_thread().name}


def test_client_load_callbacks(qtbot, client, model_files, tmp_path) -> None:
    loaded: list[tuple] = []
    failed: list[object] = []
    client.load(str(model_files["m16"]), on_done=loaded.append, on_error=failed.append)
    qtbot.waitUntil(lambda: bool(loaded), timeout=WAIT_MS)
    model_id, caps, meta = loaded[0]
    assert caps.resolution == 16 and meta["source"] == str(model_files["m16"]) and model_id.startswith("m16")
    missing = tmp_path / "nope.safetensors"
    client.load(str(missing), on_done=loaded.append, on_error=failed.append)
    qtbot.waitUntil(lambda: bool(failed), timeout=WAIT_MS)
    assert len(loaded) == 1 and "no such file" in failed[0].error


def test_client_job_callbacks_run_on_the_gui_thread(qtbot, client) -> None:
    progress, done, errors, threads = [], [], [], set()

    def record(into):
        return lambda x: (threads.add(threading.current_thread().name), into.append(x))

    def job(ctx):
        for i in range(3):
            yield (i + 1, 3, f"step {i + 1}")
        return "finished"

    def boom(ctx):
        raise RuntimeError("exploded")

    client.submit_job("three steps", job, on_progress=record(progress), on_done=record(done), on_error=record(errors))
    client.submit_job("boom", boom, on_done=record(done), on_error=record(errors))
    qtbot.waitUntil(lambda: len(done) + len(errors) == 2, timeout=WAIT_MS)
    assert done == ["finished"] and [p.done for p in progress] == [1, 2, 3]
    assert "exploded" in errors[0].error and not errors[0].cancelled
    assert threads == {threading.main_thread().name}


def test_settings_recent_list_is_capped_and_persists() -> None:
    from app.settings import MAX_RECENT, Settings

    s = Settings()
    assert s.recent() == [] and s.scaling == "auto"
    for i in range(15):
        s.add_recent(f"/models/m{i}.safetensors")
    s.add_recent("/models/m3.safetensors")
    s.scaling = "pixels"
    s.sync()
    again = Settings()
    assert len(again.recent()) == MAX_RECENT
    assert again.recent()[0] == "/models/m3.safetensors" and again.recent().count("/models/m3.safetensors") == 1
    assert again.scaling == "pixels"
    s.clear_recent()
    s.add_recent("only")
    assert Settings().recent() == ["only"]


def test_params_adapt_and_build_requests() -> None:
    p = Params().replace(
        latent={"seed": 5},
        mix={"weights": (1.0,) * 10},
        noise={"layer_strengths": (0.5,) * 2},
        truncation={"cutoff": 9},
    )
    p = p.adapted(CAPS16)
    assert len(p.mix.weights) == 6 and p.noise.layer_strengths == (0.5, 0.5, 1.0, 1.0, 1.0) and p.truncation.cutoff == 6
    req = p.to_request("m", CAPS16)
    assert req.latent.seed == 5 and req.mix.seed == 1 and req.mix.weights == (1.0,) * 6 and req.truncation.cutoff == 6
    plain = Params().adapted(CAPS16).to_request("m", CAPS16)
    assert plain.mix.seed is None and plain.mix.weights == () and plain.truncation.cutoff is None
    assert [CAPS16.layer_resolution(i) for i in range(6)] == [4, 8, 8, 16, 16, 16]
    assert [CAPS16.layer_resolution(i, "noise") for i in range(5)] == [4, 8, 8, 16, 16]


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
    from app.drops import drop_rejection

    assert drop_rejection(str(tmp_path / "a.pkl")) is None
    assert "folder" in drop_rejection(str(tmp_path))
    assert "image" in drop_rejection(str(tmp_path / "face.png"))
    assert "not a model checkpoint" in drop_rejection(str(tmp_path / "notes.txt"))
