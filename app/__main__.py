"""``python -m app [MODEL] [--device D]``: open the LatentLab explorer window."""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger("app")


def make_engine(device: str | None, threads: int | None = None):  # -> Engine (torch is slow to import)
    """The engine of the desktop app on ``device`` (falling back to the automatic choice when it is
    not usable), with the interactive thread policy (see :mod:`engine.device`) unless ``threads``."""
    from engine.device import DeviceError
    from engine.runtime import Engine

    try:
        return Engine(device, threads=threads)
    except (DeviceError, ValueError) as e:
        if device is None:
            raise
        log.warning("device %r is not usable (%s); choosing one automatically", device, e)
        return Engine(None, threads=threads)


def _last_model(source: str | None) -> str | None:
    """The model the app showed when it last closed, if it can still be opened (a bundled name or an
    existing file)."""
    from pathlib import Path

    from engine import zoo

    if source and (zoo.find(source) is not None or Path(source).is_file()):
        return source
    return None


def run_gui(model: str | None = None, device: str | None = None) -> int:
    """Open the main window on ``model`` (a bundled name or a checkpoint path), else on the model it
    showed last time (with that model's saved state), else on the bundled default.

    Without any the window opens on an empty canvas with the model panel. Returns the exit code.
    """
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from app.engine_client import EngineClient
    from app.main_window import MainWindow
    from app.settings import APPLICATION, ORGANIZATION, Settings
    from engine import zoo

    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings()
    if device:
        settings.device = device
    engine = make_engine(device or settings.device).start()
    log.info("engine on %s", engine.device)
    try:
        client = EngineClient(engine)
        window = MainWindow(client, settings)
        window.show()
        model = model or _last_model(settings.last_model)
        if model:
            window.open_model(model)
        else:
            entry = zoo.default_model()
            if entry is not None:
                window.open_model(entry.name)
            else:
                window.statusBar().showMessage("No bundled model yet: open a checkpoint (Ctrl+O) or drop one here")
        return int(app.exec())
    finally:
        engine.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="Open the LatentLab explorer window.")
    parser.add_argument("model", nargs="?", default=None, help="bundled model name or checkpoint file")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps or auto (default: auto)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return run_gui(args.model, args.device)


if __name__ == "__main__":
    sys.exit(main())
