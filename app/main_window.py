"""The main window composes the explorer: the canvas, the panels' docks, menus, drops and status bar.

The state lives in :class:`app.session.Session` (model, parameters, undo, tasks), the rendering in
:class:`app.frames.FrameLoop`, and each panel submits and receives its own engine work. The window
shows what they report: dialogs, status messages, task progress with Cancel.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from app.canvas import PLACEHOLDER, Canvas
from app.docks import make_dock
from app.drops import MODEL_FILTER, reporting_drop_errors, sort_drop
from app.engine_client import EngineClient
from app.exports import Exports
from app.frames import FrameLoop
from app.layout import HOME, DockLayout
from app.menus import build_menus
from app.model_state import ModelStateKeeper
from app.panels import (
    ArithmeticPanel,
    DirectionsPanel,
    DiscoverPanel,
    EncodePanel,
    GalleryPanel,
    InterpolatePanel,
    LatentPanel,
    ModelPanel,
    NoisePanel,
    ParamPanel,
    ProgressivePanel,
    StylesPanel,
    TransformPanel,
    TranslatePanel,
    TruncationPanel,
)
from app.panels.features import FeaturesPanel
from app.params import Params
from app.qt_none_guard import guard_none_refcount
from app.session import OpenModel, Session, short_name
from app.settings import PIXELS_UP_TO, Settings
from app.status_bar import StatusBar
from engine.families.base import Capabilities
from engine.latent.keyframes import Keyframe
from engine.video import OutputSize

log = logging.getLogger(__name__)

DOCKS = ("model", "latent", "truncation", "progressive", "transform", "styles", "noise", "encode", "directions",
         "discover", "translate", "features", "interpolate", "arithmetic", "gallery")  # fmt: skip
"""Every dock (named after its panel), in the order of the View menu; :mod:`app.layout` places them."""
SCALING_TEXT = {
    "auto": f"&Automatic (pixels up to {PIXELS_UP_TO} px, smooth above)",
    "smooth": "&Smooth",
    "pixels": "&Pixels (nearest neighbour)",
}


class MainWindow(QMainWindow):
    """The explorer window around one :class:`Session`."""

    def __init__(self, client: EngineClient, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        guard_none_refcount()
        self.client = client
        self.settings = settings or Settings()
        self.session = Session(client, self)
        self.session.settings = self.settings
        self.last_error: QMessageBox | None = None
        self.train_window: Any = None
        self._quit_agreed = False  # the user chose what happens to a running training run

        self.setWindowTitle("LatentLab")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.canvas = Canvas(self)
        self.setCentralWidget(self.canvas)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.status.bind(self.session)
        self._build_panels()
        self._build_menus()
        self.session.model_changed.connect(self._on_model_changed)
        self.session.params_changed.connect(self._on_params_changed)
        self.session.error_raised.connect(self.show_error)
        self.state_keeper = ModelStateKeeper(self.session, self.settings, self.interpolate_panel, self.gallery_panel)
        self.session.task_ended.connect(self._on_task_ended)

        self.resize(1360, 860)
        if self.settings.geometry is not None:
            self.restoreGeometry(self.settings.geometry)
        for name in self.param_panels:
            self.docks[name].setVisible(False)
        self.docks["features"].setVisible(False)

    # --- construction ---------------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.model_panel = ModelPanel()
        self.features_panel = FeaturesPanel()
        self.latent_panel = LatentPanel()
        self.truncation_panel = TruncationPanel()
        self.progressive_panel = ProgressivePanel()
        self.transform_panel = TransformPanel()
        self.styles_panel = StylesPanel()
        self.noise_panel = NoisePanel()
        self.encode_panel = EncodePanel()
        self.directions_panel = DirectionsPanel()
        self.discover_panel = DiscoverPanel()
        self.translate_panel = TranslatePanel()
        self.interpolate_panel = InterpolatePanel()
        self.arithmetic_panel = ArithmeticPanel()
        self.gallery_panel = GalleryPanel()
        self.param_panels: dict[str, ParamPanel] = {
            name: getattr(self, f"{name}_panel") for name in DOCKS if name not in ("model", "features")
        }
        for panel in (*self.param_panels.values(), self.features_panel):
            panel.bind(self.session)
        self.docks = {name: make_dock(self, getattr(self, f"{name}_panel"), HOME[name]) for name in DOCKS}
        self.layout_manager = DockLayout(self, self.docks, self.settings)

        self.frames = FrameLoop(self.session, self.canvas, self.interpolate_panel, self.features_panel,
                                self.features_shown, self)  # fmt: skip
        for name, panel in self.param_panels.items():
            self.frames.add_panel(panel, lambda d=self.docks[name]: not d.isHidden())
        self.frames.timing.connect(self.status.show_timing)
        for dock in self.docks.values():
            dock.visibilityChanged.connect(lambda visible: visible and self.frames.submit_side_requests())
        self.docks["features"].visibilityChanged.connect(self._on_features_visibility)
        self.features_panel.changed.connect(self.frames.request_render)
        self.features_panel.layers_ready.connect(self._show_features_dock)
        self.translate_panel.pair_shown.connect(self._show_translation)
        self.interpolate_panel.walk_preview_changed.connect(lambda _: self.frames.request_render())
        self.gallery_panel.walk_requested.connect(self.add_to_walk)
        self.model_panel.open_requested.connect(self.open_model)
        self.model_panel.browse_requested.connect(self.open_model_dialog)
        self.model_panel.set_recent(self.settings.recent())

    def _build_menus(self) -> None:
        self.exports = Exports(self.session, self.settings, lambda: self.canvas.frame, self)
        build_menus(self, SCALING_TEXT)

    # --- what the session reports ---------------------------------------------------------------
    def show_error(self, title: str, text: str) -> QMessageBox:
        """Show a non-blocking warning dialog (``open()``, not ``exec()``); kept in ``last_error``."""
        log.warning("%s: %s", title, text.replace("\n", " "))
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.open()
        self.last_error = box
        return box

    # --- models -------------------------------------------------------------------------------------
    @Slot(str)
    def open_model(self, source: str) -> None:
        """Load a bundled model name or a checkpoint path (a task); the model switches when it is ready.
        Until then the canvas keeps the current model's frame, or says what is loading."""
        self.session.open_model(source)
        if self.canvas.frame is None:
            self.canvas.set_placeholder(f"Loading {short_name(source)}…")

    def open_model_dialog(self) -> None:
        start = self.settings.last_dir or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open model", start, MODEL_FILTER)
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.open_model(path)

    def show_train_window(self) -> Any:
        """Open (or raise) the Train window; its "Open in explorer" loads the run's model here. A new
        Train window starts from the open model's family and training data."""
        if self.train_window is None:
            from app.train_window import TrainWindow

            self.train_window = TrainWindow(self)
            self.train_window.open_model_requested.connect(self.open_model)
            self.train_window.quit_ready.connect(self._quit_after_training)
            model = self.session.model
            if model is not None:
                data = (model.meta.get("provenance") or {}).get("data")
                conditional = model.caps.task == "conditional"
                self.train_window.start_from_model(model.caps.family, data, model.caps.channels, conditional)
        self.train_window.show()
        self.train_window.raise_()
        return self.train_window

    def _on_model_changed(self, model: OpenModel) -> None:
        caps = model.caps
        self._show_panels_for(caps)
        self._apply_scaling()
        self.model_panel.set_model(model.name, caps, model.meta)
        self.setWindowTitle(f"{model.name} — LatentLab")
        self.model_panel.set_recent(self.settings.add_recent(model.source))
        self.settings.last_model = model.source
        self.canvas.set_frame(None)  # the previous model's frame is not this model's
        if not caps.renders_latent:
            hint = " — drop an image on the window to translate it" if TranslatePanel.applies_to(caps) else ""
            self.canvas.set_placeholder(f"{model.name} does not generate from a latent ({caps.task}){hint}")
        else:
            self.canvas.set_placeholder(f"Rendering {model.name}…")

    def _on_task_ended(self, _task: object) -> None:
        if self.session.model is None:  # a load that failed (or was cancelled) before any model was open
            self.canvas.set_placeholder(PLACEHOLDER)

    def _on_params_changed(self, params: Params) -> None:
        caps = self.session.caps
        for panel in self.param_panels.values():
            if caps is not None and panel.applies_to(caps):
                panel.set_params(params)

    def _show_panels_for(self, caps: Capabilities) -> None:
        """Show exactly the panels that apply to ``caps``, rebuilt for them, in the layout of that
        kind of model (the feature viewer waits for the model's layers, ``layers_ready``)."""
        names = ["model"]
        for name, panel in self.param_panels.items():
            if panel.applies_to(caps):
                panel.set_capabilities(caps)
                names.append(name)
        self.layout_manager.switch(caps, names)

    # --- the feature viewer's dock ------------------------------------------------------------------
    def _show_features_dock(self) -> None:
        """Show the viewer's dock where the layout puts it (by default a tab behind Model, the
        tallest dock and rarely needed once a model is open, so the viewer costs rendering nothing
        until the user raises its tab)."""
        self.layout_manager.features_ready()

    def features_shown(self) -> bool:
        """Whether the feature viewer is on screen: its dock open and not behind another tab (a
        tabbed dock stays ``isVisible()`` behind its tab, with an empty visible region)."""
        dock = self.docks["features"]
        return self.features_panel.has_layers() and dock.isVisible() and not dock.visibleRegion().isEmpty()

    @Slot(bool)
    def _on_features_visibility(self, visible: bool) -> None:
        if visible and self.features_shown():
            self.frames.request_render()

    # --- between panels ------------------------------------------------------------------------------
    def _show_translation(self, pair: Any) -> None:
        """Models without a latent: the canvas shows the translate panel's input | output."""
        caps = self.session.caps
        if caps is not None and not caps.renders_latent and pair is not None:
            self.canvas.set_frame(pair)

    def add_to_walk(self, key: Keyframe) -> None:
        """Append ``key`` (e.g. a gallery bookmark) to the Interpolate panel's walk."""
        panel = self.interpolate_panel
        if self.session.caps is None or not panel.applies_to(self.session.caps):
            return
        if panel.add_keyframe(key):
            self.docks["interpolate"].show()
            self.docks["interpolate"].raise_()
            self.status.showMessage(f"Added {key.name} to the walk", 3000)

    def image_panel(self) -> ParamPanel | None:
        """The panel that takes dropped images: a visible panel with ``takes_images`` (None if none)."""
        for name, panel in self.param_panels.items():
            if panel.takes_images and not self.docks[name].isHidden():
                return panel
        return None

    # --- view & files -------------------------------------------------------------------------------------
    def reset_layout(self) -> None:
        """View > Reset layout: every dock back to its default place and size (saved layouts are forgotten)."""
        self.layout_manager.reset()
        self.status.showMessage("Layout reset", 3000)

    def set_scaling(self, mode: str) -> None:
        """View > Scaling: ``auto`` (pixels for models up to 64 px, smooth above), ``smooth`` or ``pixels``."""
        self.settings.scaling = mode
        if not self.scaling_actions[mode].isChecked():
            self.scaling_actions[mode].setChecked(True)
        self._apply_scaling()

    def _apply_scaling(self) -> None:
        mode, caps = self.settings.scaling, self.session.caps
        small = caps is not None and caps.resolution <= PIXELS_UP_TO
        self.canvas.set_smooth(mode == "smooth" or (mode == "auto" and not small))

    def save_image(self, path: str | None = None, size: OutputSize | None = None) -> bool:
        """Save the frame on the canvas as a PNG that records how it was made (Save image… when ``path``
        is None); the file is resized and written by an engine job."""
        last = self.session.last_frame
        if last is not None and last.request.view.preview is not None:
            self.status.showMessage("The canvas shows a preview: save once the full frame is shown", 4000)
            return False
        if path is None:
            return self.exports.save_image_dialog() is not None
        return self.exports.save_image(path, size) is not None

    # --- drag & drop ---------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        event.acceptProposedAction() if event.mimeData().hasUrls() else event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction() if event.mimeData().hasUrls() else event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if not urls:
            event.ignore()
            return
        event.acceptProposedAction()
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        if not paths:
            self.show_error("Cannot open", "Only local files can be dropped here.")
            return
        with reporting_drop_errors(self.show_error, paths):
            self.handle_dropped_paths(paths)

    def handle_dropped_paths(self, paths: list[str]) -> None:
        """A dropped checkpoint loads (the last one wins); an image goes to the visible panel that
        takes images (the last one wins); anything else gets a dialog naming it."""
        image_panel = self.image_panel()
        drop = sort_drop(paths, takes_images=image_panel is not None)
        if drop.checkpoint is not None:
            self.open_model(drop.checkpoint)
        elif drop.image is not None and image_panel is not None:
            image_panel.take_image(drop.image)
        if drop.rejected:
            self.show_error("Cannot open file", "\n".join(drop.rejected))

    # --- lifetime ------------------------------------------------------------------------------------------
    def _quit_after_training(self) -> None:
        """The training run was stopped (or moved to the background) because the app quits: quit now."""
        self._quit_agreed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        train = self.train_window
        if train is not None and train.training_running() and not self._quit_agreed:
            event.ignore()  # the Train window asks; quit_ready closes this window once the run is handled
            if train.quitting is not None:
                self.status.showMessage("The training run is saving its checkpoint; LatentLab quits then", 0)
            elif train.quit_box is None:
                train.ask_quit()
            return
        self.state_keeper.save_now()
        self.settings.geometry = self.saveGeometry()
        self.layout_manager.save()
        self.settings.sync()
        self.session.cancel_tasks()
        if self.train_window is not None:
            self.train_window.shutdown()
            self.train_window.close()
        super().closeEvent(event)
