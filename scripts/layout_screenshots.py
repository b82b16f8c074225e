"""Screenshots of the explorer's layout, for the notes and the README.

Run under a virtual X server of the screen size to check, e.g.::

    Xvfb :99 -screen 0 1440x900x24 & DISPLAY=:99 python scripts/layout_screenshots.py docs/shots

It opens the main window with a real engine and settings isolated from the user's (a fresh
temporary store, or ``--settings DIR`` to reuse one across runs), fills the screen with it, opens
each model in turn, waits for its first frame and its panels' thumbnails, and saves
``PREFIX-MODEL.png`` (the whole screen). ``--relaunch`` then closes the window (saving its layout),
opens a new one on the same settings and takes the same pictures again as ``PREFIX-MODEL-relaunch.png``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("layout_screenshots")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--models", default="emoji-stylegan2", help="comma-separated bundled names or paths")
    parser.add_argument("--prefix", default="layout", help="file name prefix")
    parser.add_argument("--settings", type=Path, default=None, help="settings folder (default: a fresh one)")
    parser.add_argument("--relaunch", action="store_true", help="also take the pictures after a relaunch")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for each model")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to let thumbnails arrive")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.engine_client import EngineClient
    from app.main_window import MainWindow
    from app.settings import Settings
    from engine.runtime import Engine

    store = args.settings or Path(tempfile.mkdtemp(prefix="latentlab-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(store))
    QCoreApplication.setOrganizationName("LatentLabScreenshots")
    QCoreApplication.setApplicationName("LatentLabScreenshots")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    engine = Engine("cpu").start()
    client = EngineClient(engine)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    args.out.mkdir(parents=True, exist_ok=True)

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(what: str, done: Callable[[], bool]) -> None:
        end = time.monotonic() + args.timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    def session(suffix: str) -> None:
        window = MainWindow(client, Settings())
        screen = QGuiApplication.primaryScreen()
        if window.settings.geometry is None:
            window.setGeometry(screen.availableGeometry())
        window.show()
        try:
            for source in models:
                window.open_model(source)
                wait(
                    f"{source} to load",
                    lambda s=source: (
                        window.session.model is not None
                        and s in (window.session.model.name, window.session.model.source)
                    ),
                )
                caps = window.session.caps
                if caps is not None and caps.renders_latent:
                    wait(f"{source}'s first frame", lambda: window.session.last_frame is not None)
                pump(args.settle)
                name = Path(source).stem if "/" in source else source
                path = args.out / f"{args.prefix}-{name}{suffix}.png"
                screen.grabWindow(0).save(str(path))
                log.info("%s → %s (window %dx%d)", source, path, window.width(), window.height())
        finally:
            window.close()
            pump(0.2)

    try:
        session("")
        if args.relaunch:
            session("-relaunch")
    finally:
        engine.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
