"""The GUI halves of findings 1, 5, 7, 8, 9, 10, 13 and 14: every bad drop is a dialog naming the file
and the reason (never a traceback out of ``dropEvent``), the window and its panels stay usable (the
Encode panel accepts the next good image, Cancel works), files are read off the GUI thread and
shrunk to what the model needs, a FIFO never blocks the engine thread, a bad gallery thumbnail does
not break the Gallery, a folder job skips and counts bad files, a cancelled re-export keeps the
existing file byte for byte, non-finite frames warn in the status bar, and the Train window names
the checkpoints a resume skipped.

pytest-qt fails a test on any exception raised inside a Qt event handler, so each drop here also
proves that nothing escaped ``dropEvent``."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.app.conftest import WAIT_MS
from tests.app.test_main_window import drop_files
from tests.hostile import hostile_files as hf

pytestmark = pytest.mark.qt

OLD = b"the user's own file, which must survive\n" * 50


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hf.png_bomb(tmp_path_factory.mktemp("bomb") / "bomb.png")


def _good_image(path: Path) -> Path:
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (20, 26, 3), dtype=np.uint8)).save(path)
    return path


def _dialog(window, qtbot) -> str:
    """The text of the dialog the window showed (waits for it), then closes it."""
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=WAIT_MS)
    box, window.last_error = window.last_error, None
    text = box.text()
    box.close()
    return text


def _idle(panel) -> bool:
    return not panel.running and not panel.cancel_button.isEnabled() and "…" not in panel.status.text()


# --- findings 7 and 8: bad drops are dialogs; the Encode panel takes the next good image -----------
def test_bad_drops_are_dialogs_and_the_encode_panel_takes_the_next_image(window, qtbot, tmp_path, bomb) -> None:
    w, panel = window, window.encode_panel
    panel.steps.setValue(10)
    assert not w.docks["encode"].isHidden() and w.image_panel() is panel
    cases = [
        (bomb, ["bomb.png", "exceeds the limit of 268 megapixels"]),
        (hf.text_as_png(tmp_path / "notes.png"), ["notes.png", "not a readable image"]),
        (hf.fifo(tmp_path / "pipe.png"), ["pipe.png", "named pipe (FIFO)"]),
        (hf.fifo(tmp_path / "model.safetensors"), ["model.safetensors", "named pipe (FIFO)"]),
    ]
    for path, needles in cases:
        drop_files(w, [path])
        text = _dialog(w, qtbot)
        assert all(n in text for n in needles), text
        qtbot.waitUntil(lambda: _idle(panel), timeout=WAIT_MS)  # never left "Projecting …"
        assert w.session.params.latent.ws is None
    drop_files(w, [_good_image(tmp_path / "face.png")])  # the next good image is accepted and inverted
    qtbot.waitUntil(lambda: w.session.params.latent.ws is not None, timeout=WAIT_MS)
    assert not panel.running and w.last_error is None


def test_a_bad_file_given_to_the_panels_directly_is_a_dialog(window, qtbot, tmp_path, bomb) -> None:
    """The same for a drop on the Encode panel itself and for Open… (``take_image``)."""
    drop_files(window.encode_panel, [bomb])
    assert "exceeds the limit" in _dialog(window, qtbot)
    window.encode_panel.take_image(str(tmp_path / "missing.png"))
    assert "missing.png" in _dialog(window, qtbot)
    qtbot.waitUntil(lambda: _idle(window.encode_panel), timeout=WAIT_MS)


def test_cancel_while_an_image_is_read_and_the_next_image_is_accepted(
    window, qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.images

    panel, gate = window.encode_panel, threading.Event()
    real = engine.images.read_image_for

    def slow_read(path, size, *args, **kwargs):  # a read that takes as long as the test wants
        gate.wait(WAIT_MS / 1000)
        return real(path, size, *args, **kwargs)

    monkeypatch.setattr(engine.images, "read_image_for", slow_read)
    panel.steps.setValue(10)
    panel.take_image(str(_good_image(tmp_path / "slow.png")))
    assert panel.running and panel.cancel_button.isEnabled() and "Reading slow.png" in panel.status.text()
    panel.cancel_button.click()
    assert not panel.running and "Cancelled" in panel.status.text()
    gate.set()  # the read finishes after the cancel: its image is dropped
    panel.take_image(str(_good_image(tmp_path / "next.png")))
    qtbot.waitUntil(lambda: window.session.params.latent.ws is not None, timeout=WAIT_MS)
    assert panel.image_path.endswith("next.png") and window.last_error is None


# --- finding 5: a FIFO never blocks the engine thread ---------------------------------------------
def test_a_fifo_named_like_a_checkpoint_does_not_block_the_engine(window, wait_current, qtbot, tmp_path) -> None:
    before = wait_current().image.copy()
    fifo = hf.fifo(tmp_path / "x.safetensors")
    window.open_model(str(fifo))  # past the drop check too: the loader refuses it before opening
    text = _dialog(window, qtbot)
    assert "x.safetensors" in text and "named pipe" in text
    window.latent_panel.seed.setValue(window.session.params.latent.seed + 1)
    assert not np.array_equal(wait_current().image, before)  # the engine renders on


# --- finding 14: a large image is read on a worker and kept at what the model needs ----------------
def test_a_large_dropped_image_is_read_off_the_gui_thread_and_shrunk(
    window, qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.images

    big = hf.png_bomb(tmp_path / "big.png", side=12000)  # 144 megapixels, within the limit
    threads, sizes = [], []
    real = engine.images.read_image_for

    def spy(path, size, *args, **kwargs):
        threads.append(threading.current_thread())
        image = real(path, size, *args, **kwargs)
        sizes.append(image.size)
        return image

    monkeypatch.setattr(engine.images, "read_image_for", spy)
    panel = window.encode_panel
    panel.steps.setValue(10)
    drop_files(window, [big])
    assert panel.running  # the drop returned at once; the read goes on elsewhere
    qtbot.waitUntil(lambda: window.session.params.latent.ws is not None, timeout=WAIT_MS)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert sizes == [(1024, 1024)] and panel.image.size == (1024, 1024)  # not 12000×12000
    assert panel.input_view.frame.shape == (16, 16, 3)


# --- finding 9: a bad thumbnail does not break the Gallery --------------------------------------------
def test_a_project_with_bad_thumbnails_opens_and_the_gallery_works_on(
    window, wait_current, qtbot, tmp_path, bomb
) -> None:
    import base64
    import json

    from engine.latent.gallery import Bookmark, png_bytes, save_project

    wait_current()
    good = Bookmark("good", 1, thumbnail=png_bytes(np.zeros((8, 8, 3), np.uint8)))
    path = save_project(tmp_path / "p.latentlab.json", "m16", [good, Bookmark("b", 2), Bookmark("c", 3)])
    doc = json.loads(path.read_text())
    doc["bookmarks"][1]["thumbnail"] = base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()
    doc["bookmarks"][2]["thumbnail"] = base64.b64encode(bomb.read_bytes()).decode()
    doc["bookmarks"].append({"name": "d", "seed": 4, "thumbnail": "%%% not base64 %%%"})
    path.write_text(json.dumps(doc))
    panel = window.gallery_panel
    assert panel.open_file(str(path)) and len(panel.bookmarks) == 4
    tiles = [panel.marks.itemAt(i).widget() for i in range(panel.marks.count())]
    assert [t.frame is not None for t in tiles] == [True, False, False, False]
    panel.apply_bookmark(panel.bookmarks[3])  # a bookmark without a thumbnail still works
    assert window.session.params.latent.seed == 4
    wait_current()
    panel.bookmark_current()
    assert len(panel.bookmarks) == 5
    saved = panel.save_file(str(tmp_path / "again.latentlab.json"))
    assert saved is not None and panel.open_file(str(saved)) and len(panel.bookmarks) == 5
    assert window.last_error is None


# --- finding 7: a folder job skips and counts bad files ------------------------------------------
def test_gui_folder_translate_skips_and_counts_bad_files(qtbot, client, tmp_path, bomb) -> None:
    import torch

    from app.main_window import MainWindow
    from app.settings import Settings
    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("pix2pix")
    model = save_native(fam.new(fam.tiny_config()), tmp_path / "p2p.safetensors")
    good = hf.image_folder_of_20(tmp_path / "in", bomb)
    win = MainWindow(client, Settings())
    qtbot.addWidget(win)
    win.show()
    win.open_model(str(model))
    qtbot.waitUntil(lambda: win.session.caps is not None, timeout=WAIT_MS)
    panel = win.translate_panel
    panel.translate_folder(str(tmp_path / "in"), str(tmp_path / "out"))
    qtbot.waitUntil(lambda: panel.last_folder_report is not None, timeout=WAIT_MS)
    done, bad = panel.last_folder_report
    assert done == 17 and len(bad) == 3
    assert panel.status.text() == "Translated 17 of 20 files; skipped 3"
    text = _dialog(win, qtbot)
    for name, reason in (("bomb.png", "exceeds the limit"), ("notes.png", "not a readable"), ("pipe.png", "FIFO")):
        assert any(name in line and reason in line for line in text.splitlines()), text
    outs = {p.name for p in (tmp_path / "out").iterdir()}
    assert outs == {f"{Path(n).stem}_AtoB.png" for n in good} | {"deep_AtoB.png"}
    # The panel goes on: of a bomb and a photo dropped on it, the bomb is a dialog, the photo translated.
    drop_files(panel, [bomb, _good_image(tmp_path / "photo.png")])
    assert "exceeds the limit" in _dialog(win, qtbot)
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    win.close()


# --- finding 1: re-export + Cancel keeps the existing file -----------------------------------------
def test_reexport_then_cancel_keeps_the_existing_video(window, qtbot, tmp_path) -> None:
    (tmp_path / "out").mkdir()
    old = tmp_path / "out" / "walk.gif"
    old.write_bytes(OLD)
    session = window.session
    window.interpolate_panel.export_video(str(old), 400, 24)
    qtbot.waitUntil(lambda: session.tasks and window.status.progress.value() >= 3, timeout=WAIT_MS)
    window.status.cancel_button.click()
    qtbot.waitUntil(lambda: not session.tasks, timeout=WAIT_MS)
    assert old.read_bytes() == OLD
    assert [p.name for p in old.parent.iterdir()] == ["walk.gif"]  # no temporary file left
    assert "Export cancelled" in window.status.currentMessage() and window.last_error is None


def test_a_cancel_that_reaches_the_writer_first_is_a_cancel(
    window, qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cancel flag set while a step runs: the writer stops with ExportCancelled (not an error)."""
    import app.panels.interpolate as interpolate
    from engine.video import ExportCancelled, export_job

    session = window.session

    def racing_export(frames, count, path, fps=24.0, **options):
        job = export_job(frames, count, path, fps, **options)
        for i, step in enumerate(job):
            yield step
            if i == 2:
                for task in list(session.tasks.values()):
                    task.handle.cancel()
                job.close()
                raise ExportCancelled()

    monkeypatch.setattr(interpolate, "export_job", racing_export)
    (tmp_path / "out").mkdir()
    old = tmp_path / "out" / "walk.mp4"
    old.write_bytes(OLD)
    window.interpolate_panel.export_video(str(old), 50, 24)
    qtbot.waitUntil(lambda: not session.tasks, timeout=WAIT_MS)
    assert old.read_bytes() == OLD and [p.name for p in old.parent.iterdir()] == ["walk.mp4"]
    assert "Export cancelled" in window.status.currentMessage() and window.last_error is None


# --- finding 13: non-finite frames warn in the status bar -----------------------------------------
def test_nan_weights_warn_in_the_status_bar(qtbot, client, nan_model) -> None:
    from app.main_window import MainWindow
    from app.settings import Settings

    win = MainWindow(client, Settings())
    qtbot.addWidget(win)
    win.show()
    win.open_model(str(nan_model))
    qtbot.waitUntil(lambda: win.session.last_frame is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "NaN/inf" in win.status.currentMessage(), timeout=WAIT_MS)
    assert not win.session.last_frame.finite
    win.close()


# --- finding 10: the Train window names the checkpoints a resume skipped -----------------------------
def test_train_window_names_skipped_checkpoints(qtbot) -> None:
    from app.train_window import TrainWindow

    win = TrainWindow()
    qtbot.addWidget(win)
    skipped = [{"checkpoint": "ckpt-000010.pt", "reason": "truncated (unexpected end of file)"}]
    win.on_event({"event": "resumed", "step": 8, "checkpoint": "/runs/x/ckpt-000008.pt", "skipped": skipped})
    assert win.status_label.text() == "resumed at step 8"
    assert win.last_error is not None
    text = win.last_error.text()
    assert "ckpt-000010.pt: truncated (unexpected end of file)" in text and "ckpt-000008.pt (step 8)" in text
    win.last_error.close()
    win.last_error = None
    win.on_event({"event": "resumed", "step": 9, "checkpoint": "/runs/x/ckpt-000009.pt", "skipped": []})
    assert win.last_error is None  # a clean resume says nothing more
    win.shutdown(1000)
