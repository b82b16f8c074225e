"""Screenshots of the explorer for the notes and the README (``docs/screenshot*.png``).

Run under a virtual X server of the screen size to check, e.g.::

    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 python scripts/layout_screenshots.py docs/shots --scenes default,vae,translate --relaunch

It opens the main window with a real engine and settings isolated from the user's (a fresh
temporary store, or ``--settings DIR`` to reuse one across runs), fills the screen with it, and for
each scene opens its model, does what the scene does, waits for the frames and thumbnails, and saves
``PREFIX-SCENE.png`` (the whole screen). ``--relaunch`` then closes the window (which saves its
layout per kind of model), opens a new one on the same settings and takes the same pictures again
as ``PREFIX-SCENE-relaunch.png``.

Scenes: ``default`` (the bundled default model), ``vae`` (fmnist-vae with an ankle boot encoded),
``translate`` (emoji-pix2pix with one of its sample inputs), ``unlike`` (emoji-pix2pix given a colour
picture: the warning and the inputs it was trained on), ``cyclegan`` (fmnist-cyclegan with a sample),
``discover`` (emoji-stylegan2 with SeFa directions named and previewed), ``walk`` (emoji-stylegan2
with two keyframes and the scrubber previewing a frame of the walk), ``cgan`` (fmnist-cgan: a
class, SeFa directions and the feature viewer), ``stylegan`` (emoji-stylegan), ``pggan``
(emoji-pggan), ``reset`` (the model open so far, its layout first disarranged as a user might —
Interpolate moved to the right column, the left column squeezed — then View > Reset layout); or
``export`` (the Export video… dialog over the model open so far, or the default model); or any bundled name or
checkpoint path.
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
    parser.add_argument("--scenes", default="default", help="comma-separated scenes (see above)")
    parser.add_argument("--prefix", default="layout", help="file name prefix")
    parser.add_argument("--settings", type=Path, default=None, help="settings folder (default: a fresh one)")
    parser.add_argument("--relaunch", action="store_true", help="also take the pictures after a relaunch")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each step")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to let thumbnails arrive")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.engine_client import EngineClient
    from app.main_window import MainWindow
    from app.settings import Settings
    from engine import zoo
    from engine.runtime import Engine

    store = args.settings or Path(tempfile.mkdtemp(prefix="latentlab-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(store))
    QCoreApplication.setOrganizationName("LatentLabScreenshots")
    QCoreApplication.setApplicationName("LatentLabScreenshots")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    engine = Engine("cpu").start()
    client = EngineClient(engine)
    samples = zoo.assets_dir() / "samples"
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

    def open_model(window: MainWindow, source: str) -> None:
        opened: list[object] = []
        window.session.model_changed.connect(opened.append)
        window.open_model(source)
        wait(f"{source} to load", lambda: bool(opened))
        window.session.model_changed.disconnect(opened.append)
        if window.session.caps is not None and window.session.caps.renders_latent:
            wait(f"{source}'s first frame", lambda: window.canvas.frame is not None)

    def translate(window: MainWindow, image: Path) -> None:
        panel = window.translate_panel
        n = len(panel.items)
        window.handle_dropped_paths([str(image)])
        wait("the translation", lambda: len(panel.items) > n and panel.items[-1].output is not None)

    def scene(window: MainWindow, name: str) -> None:
        if name == "default":
            open_model(window, zoo.default_model().name)
        elif name == "vae":
            open_model(window, "fmnist-vae")
            window.handle_dropped_paths([str(samples / "fmnist-inputs" / "ankle-boot.png")])
            wait("the encoding", lambda: window.encode_panel.recon_view.frame is not None)
        elif name in ("translate", "unlike"):
            open_model(window, "emoji-pix2pix")
            translate(window, samples / "emoji-pix2pix-input-1.png")
            if name == "unlike":
                translate(window, samples / "emoji-stylegan2-grid.png")
        elif name == "cyclegan":
            open_model(window, "fmnist-cyclegan")
            translate(window, samples / "fmnist-cyclegan-input-2.png")
        elif name == "discover":
            open_model(window, "emoji-stylegan2")
            panel = window.discover_panel
            window.docks["discover"].raise_()
            panel.k.setValue(6)
            panel.compute.click()
            wait("the directions' previews", lambda: len(panel.effects) == 6)
        elif name == "walk":
            open_model(window, "emoji-stylegan2")
            walk = window.interpolate_panel
            walk.walk_keys.seeds.setText("3, 9")
            walk.walk_keys.add_typed_seeds()
            walk.scrub.setValue(70)
            wait("the walk's frame", lambda: window.session.walk_frame_shown and window.canvas.frame is not None)
        elif name == "cgan":
            open_model(window, "fmnist-cgan")
            window.latent_panel.class_combo.setCurrentIndex(9)
            panel = window.discover_panel
            window.docks["discover"].raise_()
            panel.k.setValue(5)
            panel.compute.click()
            wait("the directions' previews", lambda: len(panel.effects) == 5)
            panel.rows[0].slider.setValue(panel.rows[0].slider.to_int(1.5))
            wait("the feature viewer's layers", window.features_panel.has_layers)
            window.docks["features"].raise_()
            wait("the feature maps", lambda: window.session.last_frame is not None
                 and window.session.last_frame.features is not None)  # fmt: skip
        elif name == "reset":
            from PySide6.QtCore import Qt

            if window.session.model is None:
                open_model(window, zoo.default_model().name)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.docks["interpolate"])
            window.resizeDocks([window.docks["model"]], [120], Qt.Orientation.Horizontal)
            pump(0.5)
            window.reset_layout_action.trigger()
        elif name == "export":
            if window.session.caps is None or not window.session.caps.renders_latent:
                open_model(window, zoo.default_model().name)
            window.interpolate_panel.export_dialog()  # File > Export video… (left open for the picture)
        elif name in ("stylegan", "pggan"):
            open_model(window, f"emoji-{name}")
        else:
            open_model(window, name)

    def session(suffix: str) -> None:
        window = MainWindow(client, Settings())
        screen = QGuiApplication.primaryScreen()
        window.setGeometry(screen.availableGeometry())  # as a maximised window (Xvfb has no window manager)
        window.show()
        try:
            for name in [s.strip() for s in args.scenes.split(",") if s.strip()]:
                scene(window, name)
                pump(args.settle)
                label = Path(name).stem if "/" in name else name
                path = args.out / f"{args.prefix}-{label}{suffix}.png"
                screen.grabWindow(0).save(str(path))
                log.info("%s → %s (window %dx%d)", name, path, window.width(), window.height())
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
