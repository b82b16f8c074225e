"""Screenshots of the feature-map viewer on real models, for the notes.

Run under a virtual X server, e.g.::

    xvfb-run -s "-screen 0 1440x900x24" python scripts/features_screenshots.py /work/notes

It opens the main window with a real engine (settings isolated from the user's), loads each model,
raises the Features tab, picks a layer, waits for the frame that carries its activations and saves
``features-NAME.png`` (the whole window, ``QWidget.grab``) in the output folder.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("features_screenshots")


def tiny_stylegan(folder: Path) -> Path:
    """A random tiny StyleGAN (v1) saved natively (noise scales 1 so the noise shows)."""
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("stylegan")
    model = fam.new(fam.tiny_config())
    for layer in model.module.synthesis.layers:
        layer.noise_weight.data.fill_(1.0)
    return save_native(model, folder / "tiny-stylegan.safetensors")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for features-*.png")
    parser.add_argument("--gain", type=float, default=1.0, help="intensity slider position (log2 of the gain)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from app.engine_client import EngineClient
    from app.main_window import MainWindow
    from app.settings import Settings
    from engine.runtime import Engine

    tmp = Path(tempfile.mkdtemp(prefix="latentlab-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    QCoreApplication.setOrganizationName("LatentLabScreenshots")
    QCoreApplication.setApplicationName("LatentLabScreenshots")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    engine = Engine("cpu").start()
    window = MainWindow(EngineClient(engine), Settings())
    window.resize(1440, 870)
    window.show()

    def wait(what: str, done: Callable[[], bool]) -> None:
        end = time.monotonic() + args.timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    shots = [
        ("emoji-stylegan2", "emoji-stylegan2", "b16.conv1"),
        ("stylegan-tiny", str(tiny_stylegan(tmp)), "b8.conv1"),
        ("fmnist-dcgan", "fmnist-dcgan", "8x8"),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        for label, source, layer in shots:
            window.open_model(source)
            wait(f"{label} to load", lambda s=source: window.model_source == s or window.model_name == s)
            wait(f"{label}'s layers", lambda: window.features_panel.has_layers() and not window._layer_probes)
            window.docks["features"].raise_()
            wait("the Features tab", window.features_shown)
            combo = window.features_panel.layer
            index = combo.findData(layer)
            if index < 0:
                raise ValueError(f"{label} has no layer {layer!r}; it has {list(window.features_panel.shapes)}")
            combo.setCurrentIndex(index)
            slider = window.features_panel.scale
            slider.setValue(slider.to_int(args.gain))
            wait(
                f"{label}'s feature maps",
                lambda: (
                    window.last_frame is not None
                    and window.last_frame.request == window.current_request()
                    and window.last_frame.features is not None
                ),
            )
            for _ in range(20):
                app.processEvents()
                time.sleep(0.02)
            path = args.out / f"features-{label}.png"
            window.grab().save(str(path))
            log.info("%s: %s %s → %s", label, layer, window.features_panel.caption.text(), path)
    finally:
        window.close()
        engine.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
