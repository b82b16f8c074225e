"""Fixtures for GUI tests: offscreen Qt, isolated QSettings, tiny native models, a running engine."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

WAIT_MS = 30_000  # generous: the test machine's cores are shared with other work


def make_tiny_model(path: Path, resolution: int = 16) -> Path:
    """Save a random tiny StyleGAN2 as a native checkpoint; its noise strengths are 1 so noise shows."""
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family
    from engine.models.stylegan2 import StyleGAN2Config

    family = get_family("stylegan2")
    channels = {16: (16, 16, 8), 32: (16, 16, 8, 8)}[resolution]
    torch.manual_seed(resolution)  # the same weights whichever tests ran before
    cfg = StyleGAN2Config(resolution=resolution, z_dim=16, w_dim=16, mapping_layers=2, channels=channels)
    model = family.new(cfg)
    for layer in model.module.synthesis.layers:
        layer.noise_strength.data.fill_(1.0)
    save_native(model, path)
    return path


@pytest.fixture(scope="session")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny checkpoints: ``m16`` (16 px, 6 style layers) and ``m32`` (32 px, 8 style layers)."""
    root = tmp_path_factory.mktemp("models")
    return {
        "m16": make_tiny_model(root / "m16.safetensors", 16),
        "m32": make_tiny_model(root / "m32.safetensors", 32),
    }


@pytest.fixture(autouse=True)
def _isolated_qsettings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Qt tests never touch the user's settings: INI files under tmp_path, a test organisation name."""
    if request.node.get_closest_marker("qt") is None:
        yield
        return
    from PySide6.QtCore import QCoreApplication, QSettings

    fmt, scope = QSettings.Format.IniFormat, QSettings.Scope.UserScope
    QSettings.setDefaultFormat(fmt)
    QSettings.setPath(fmt, scope, str(tmp_path / "settings"))
    QCoreApplication.setOrganizationName("LatentLabTest")
    QCoreApplication.setApplicationName("LatentLabTest")
    yield


@pytest.fixture
def engine() -> Iterator[object]:
    """A started CPU engine, shut down after the test."""
    from engine.runtime import Engine

    eng = Engine("cpu").start()
    yield eng
    eng.shutdown()


@pytest.fixture
def client(qapp: object, engine: object) -> object:
    from app.engine_client import EngineClient

    return EngineClient(engine)


@pytest.fixture
def window(qtbot, client, model_files) -> Iterator[object]:
    """The real MainWindow, shown, with ``m16`` loaded and its first frame on the canvas."""
    from app.main_window import MainWindow
    from app.settings import Settings

    win = MainWindow(client, Settings())
    qtbot.addWidget(win)
    win.show()
    win.open_model(str(model_files["m16"]))
    qtbot.waitUntil(lambda: win.session.last_frame is not None, timeout=WAIT_MS)
    yield win
    if win.last_error is not None:
        win.last_error.close()
    win.close()


@pytest.fixture
def wait_current(qtbot, window) -> Callable[[], object]:
    """Wait until the frame for the window's current parameters is shown; returns its RenderResult."""

    def wait() -> object:
        qtbot.waitUntil(
            lambda: (
                window.session.last_frame is not None
                and window.session.last_frame.request == window.frames.current_request()
            ),
            timeout=WAIT_MS,
        )
        return window.session.last_frame

    return wait
