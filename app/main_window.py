"""The main window: canvas in the middle, panels built from capabilities, menus, drops, status bar."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QToolButton,
    QWidget,
)

from app.canvas import Canvas
from app.engine_client import MAIN_CHANNEL, EngineClient
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
    TranslatePanel,
    TruncationPanel,
)
from app.panels.features import FeaturesPanel
from app.params import Params, interp_spaces
from app.qt_none_guard import guard_none_refcount
from app.settings import Settings
from app.undo import ParamCommand
from engine.api import JobProgress, JobResult, RenderRequest, RenderResult
from engine.families.base import Capabilities
from engine.features import layer_shapes
from engine.latent.directions import compute as compute_directions
from engine.latent.encode import EncodedImage, encode_image_file
from engine.latent.gallery import Bookmark, attribute_vector, png_bytes, sample_frames
from engine.latent.invert_job import InversionJob, start_inversion
from engine.latent.keyframes import (
    Keyframe,
    KeyLike,
    as_keyframes,
    check_keyframes,
    space_for,
    walk,
    walk_frame,
)
from engine.render import LRUCache, render
from engine.video import export_job, output_kind

log = logging.getLogger(__name__)

CHECKPOINT_SUFFIXES = (".safetensors", ".json", ".pt", ".pth", ".ckpt", ".pkl")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")
MODEL_FILTER = "Models (*.safetensors *.json *.pt *.pth *.ckpt *.pkl);;All files (*)"
INFLIGHT_TIMEOUT_S = 2.0  # resubmit if a frame has not come back by then
NO_FEATURES: dict[str, Any] = {"feature_layer": None, "feature_channel": None, "feature_scale": 1.0}


def _short(source: str) -> str:
    return Path(source).name if ("/" in source or "\\" in source) else source


def drop_rejection(path: str) -> str | None:
    """Why a dropped file cannot be opened as a model (None when it looks like a checkpoint)."""
    p = Path(path)
    if p.is_dir():
        return "is a folder, not a model checkpoint"
    suffix = p.suffix.lower()
    if suffix in CHECKPOINT_SUFFIXES:
        return None
    if suffix in IMAGE_SUFFIXES:
        return "is an image; no open panel of this model takes images (translate/invert models do)"
    kinds = ", ".join(CHECKPOINT_SUFFIXES)
    return f"is not a model checkpoint (LatentLab opens {kinds} files)"


class MainWindow(QMainWindow):
    """The explorer: one current :class:`Params` state, rendered on every edit through the engine client."""

    def __init__(self, client: EngineClient, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        guard_none_refcount()
        self.client = client
        self.settings = settings or Settings()
        self.model_id: str | None = None
        self.caps: Capabilities | None = None
        self.meta: dict[str, Any] = {}
        self.model_name = ""
        self.model_source = ""
        self.params = Params()
        self.undo_stack = QUndoStack(self)
        self.last_error: QMessageBox | None = None
        self.last_frame: RenderResult | None = None
        self.frames_shown = 0
        self._inflight: int | None = None
        self._inflight_t = 0.0
        self._dirty = False
        self._loads: dict[int, Any] = {}  # job id → JobHandle of loads in progress
        self._encodes: dict[int, tuple[str, ParamPanel]] = {}  # job id → (image path, panel) of encodes
        self._inversions: dict[int, InversionJob] = {}  # job id → W/W+ inversion (projection, pSp) in progress
        self._discoveries: dict[int, str] = {}  # job id → model id of direction computations
        self._exports: dict[int, str] = {}  # job id → output path of video exports
        self._layer_probes: dict[int, str] = {}  # job id → model id of layer-shape probes
        self._features_placed = False  # the viewer's dock has been put in its first place
        self._gallery_jobs: dict[int, tuple[str, str, Any]] = {}  # job id → (kind, model id, data)
        self._side_sent: dict[str, RenderRequest] = {}  # last request submitted per side channel
        self._ms_avg: float | None = None
        self._dt_avg: float | None = None
        self._last_frame_t: float | None = None
        self.train_window: Any = None

        self.setWindowTitle("LatentLab")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.canvas = Canvas(self)
        self.canvas.set_smooth(self.settings.smooth_scaling)
        self.setCentralWidget(self.canvas)
        self._build_panels()
        self._build_status()
        self._build_menus()

        client.channel_frame.connect(self._on_channel_frame)
        client.model_loaded.connect(self._on_model_loaded)
        client.load_failed.connect(self._on_load_failed)
        client.job_progress.connect(self._on_job_progress)
        client.job_done.connect(self._on_job_done)

        self.resize(1360, 860)
        if self.settings.geometry is not None:
            self.restoreGeometry(self.settings.geometry)
        self._layout_restored = False
        if self.settings.window_state is not None:
            self._layout_restored = bool(self.restoreState(self.settings.window_state))
        self._show_panels_for(None)

    # --- construction ---------------------------------------------------------------------------
    def _dock(self, panel: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(panel.title, self)  # type: ignore[attr-defined]
        dock.setObjectName(f"dock-{panel.title.lower()}")  # type: ignore[attr-defined]
        # A scroll area lets a dock shrink below its panel's height, so the window fits a laptop screen
        # (900 px) with every dock open; a panel taller than its dock scrolls instead of being cut off.
        scroll = QScrollArea(dock)
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        dock.setWidget(scroll)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_panels(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.model_panel = ModelPanel()
        self.latent_panel = LatentPanel()
        self.truncation_panel = TruncationPanel()
        self.styles_panel = StylesPanel()
        self.noise_panel = NoisePanel()
        self.interpolate_panel = InterpolatePanel()
        self.arithmetic_panel = ArithmeticPanel()
        self.encode_panel = EncodePanel()
        self.directions_panel = DirectionsPanel()
        self.discover_panel = DiscoverPanel()
        self.progressive_panel = ProgressivePanel()
        self.features_panel = FeaturesPanel()
        self.gallery_panel = GalleryPanel()
        self.translate_panel = TranslatePanel()
        self.translate_panel.attach(self.client)
        self.translate_panel.error_raised.connect(self.show_error)
        self.docks: dict[str, QDockWidget] = {
            "model": self._dock(self.model_panel, left),
            "latent": self._dock(self.latent_panel, left),
            "truncation": self._dock(self.truncation_panel, left),
            "progressive": self._dock(self.progressive_panel, left),
            "styles": self._dock(self.styles_panel, right),
            "noise": self._dock(self.noise_panel, right),
            "encode": self._dock(self.encode_panel, right),
            "directions": self._dock(self.directions_panel, right),
            "discover": self._dock(self.discover_panel, right),
            "translate": self._dock(self.translate_panel, right),
            "features": self._dock(self.features_panel, left),
            "interpolate": self._dock(self.interpolate_panel, bottom),
            "arithmetic": self._dock(self.arithmetic_panel, bottom),
            "gallery": self._dock(self.gallery_panel, bottom),
        }
        self.splitDockWidget(self.docks["interpolate"], self.docks["arithmetic"], Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.docks["arithmetic"], self.docks["gallery"])
        self.docks["arithmetic"].raise_()
        self.param_panels: dict[str, ParamPanel] = {
            "latent": self.latent_panel,
            "truncation": self.truncation_panel,
            "progressive": self.progressive_panel,
            "styles": self.styles_panel,
            "noise": self.noise_panel,
            "interpolate": self.interpolate_panel,
            "arithmetic": self.arithmetic_panel,
            "encode": self.encode_panel,
            "directions": self.directions_panel,
            "discover": self.discover_panel,
            "gallery": self.gallery_panel,
            "translate": self.translate_panel,
        }
        for panel in self.param_panels.values():
            panel.edited.connect(self._on_panel_edit)
            panel.committed.connect(self.seal_undo)
            panel.previewed.connect(self._on_panel_preview)
            panel.image_requested.connect(lambda path, p=panel: self.encode_image(path, p))
        for dock in self.docks.values():
            dock.visibilityChanged.connect(self._on_dock_visibility)
        self.docks["features"].visibilityChanged.connect(self._on_features_visibility)
        self.features_panel.changed.connect(self.request_render)
        self.discover_panel.compute_requested.connect(self.compute_directions)
        self.translate_panel.pair_shown.connect(self._show_translation)
        self.encode_panel.invert_requested.connect(self.invert_image)
        self.encode_panel.cancel_requested.connect(self.cancel_inversions)
        self.interpolate_panel.export_requested.connect(self.export_video)
        self.interpolate_panel.walk_preview_changed.connect(lambda _: self.request_render())
        self.interpolate_panel.error_raised.connect(self.show_error)
        self.gallery_panel.walk_requested.connect(self.add_to_walk)
        self.gallery_panel.bookmark_requested.connect(self.bookmark_current)
        self.gallery_panel.samples_requested.connect(self.gallery_samples)
        self.gallery_panel.attribute_requested.connect(self.gallery_attribute)
        self.model_panel.open_requested.connect(self.open_model)
        self.model_panel.browse_requested.connect(self.open_model_dialog)
        self.model_panel.set_recent(self.settings.recent())
        self.resizeDocks([self.docks["model"]], [290], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["styles"]], [360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["interpolate"], self.docks["arithmetic"]], [620, 420], Qt.Orientation.Horizontal)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop loading or exporting")
        self.cancel_button.clicked.connect(self.cancel_loads)
        self.model_label = QLabel("no model")
        self.resolution_label = QLabel("")
        self.ms_label = QLabel("")
        self.fps_label = QLabel("")
        for w in (self.progress, self.cancel_button):
            sb.addPermanentWidget(w)
            w.hide()
        for w in (self.model_label, self.resolution_label, self.ms_label, self.fps_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open model…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_model_dialog)
        file_menu.addAction(self.open_action)
        self.train_action = QAction("&Train…", self)
        self.train_action.triggered.connect(self.show_train_window)
        file_menu.addAction(self.train_action)
        self.recent_menu = QMenu("Recent &models", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        self.save_action = QAction("&Save image…", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(lambda: self.save_image())
        file_menu.addAction(self.save_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        self.random_seed_action = QAction("Random &seed", self)
        self.random_seed_action.setShortcut(QKeySequence("Ctrl+R"))
        self.random_seed_action.triggered.connect(self.latent_panel.randomise.click)
        edit_menu.addAction(self.random_seed_action)

        view_menu = self.menuBar().addMenu("&View")
        self.smooth_action = QAction("&Smooth scaling", self, checkable=True)
        self.smooth_action.setChecked(self.canvas.smooth)
        self.smooth_action.toggled.connect(self.set_smooth_scaling)
        view_menu.addAction(self.smooth_action)
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent()
        for source in recent:
            act = self.recent_menu.addAction(_short(source))
            act.setToolTip(source)
            act.triggered.connect(lambda _=False, s=source: self.open_model(s))
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear recent", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.clear_recent()
        self.model_panel.set_recent([])

    # --- errors -----------------------------------------------------------------------------------
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
        """Load a bundled model name or a checkpoint path (an engine job); the model switches when it is ready."""
        if os.path.exists(source):
            source = os.path.abspath(source)
        handle = self.client.load(source)
        self._loads[handle.job_id] = handle
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.statusBar().showMessage(f"Loading {_short(source)}…")

    def show_train_window(self) -> Any:
        """Open (or raise) the Train window; its "Open in explorer" loads the run's model here."""
        if self.train_window is None:
            from app.train_window import TrainWindow

            self.train_window = TrainWindow(self)
            self.train_window.open_model_requested.connect(self.open_model)
        self.train_window.show()
        self.train_window.raise_()
        return self.train_window

    def open_model_dialog(self) -> None:
        start = self.settings.last_dir or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open model", start, MODEL_FILTER)
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.open_model(path)

    def cancel_loads(self) -> None:
        for handle in self._loads.values():
            handle.cancel()

    @Slot(str, object, object)
    def _on_model_loaded(self, model_id: str, caps: Capabilities, meta: dict[str, Any]) -> None:
        previous = self.model_id
        self.model_id, self.caps, self.meta = model_id, caps, dict(meta)
        self.model_name = str(meta.get("name") or model_id)
        self.model_source = str(meta.get("source") or meta.get("path") or self.model_name)
        self.params = self.params.adapted(caps)
        self.undo_stack.clear()
        self._show_panels_for(caps)
        self._probe_layers(model_id, caps)
        self.translate_panel.set_model_id(model_id)
        if not self._layout_restored:
            self._balance_docks(caps)
        self.model_panel.set_model(self.model_name, caps, self.meta)
        self.model_label.setText(self.model_name)
        self.resolution_label.setText(f"{caps.resolution}×{caps.resolution}")
        self.setWindowTitle(f"{self.model_name} — LatentLab")
        self.statusBar().showMessage(f"Loaded {self.model_name}", 3000)
        self.model_panel.set_recent(self.settings.add_recent(self.model_source))
        self.settings.last_model = self.model_source
        self._inflight, self._dirty = None, False
        self._side_sent.clear()
        self._ms_avg = self._dt_avg = self._last_frame_t = None
        if caps.w_space is None and caps.z_dim <= 0:
            self.canvas.set_frame(None)
            hint = " — drop an image on the window to translate it" if self.translate_panel.applies_to(caps) else ""
            self.canvas.set_placeholder(f"{self.model_name} does not generate from a latent ({caps.task}){hint}")
        else:
            self.request_render()
        if previous is not None and previous != model_id:
            self.client.unload(previous)

    @Slot(str, str)
    def _on_load_failed(self, path: str, reason: str) -> None:
        self.statusBar().showMessage(f"Could not open {_short(path)}", 5000)
        self.show_error("Cannot open model", f"Could not open “{path}”.\n\n{reason}")

    @Slot(object)
    def _on_job_progress(self, progress: JobProgress) -> None:
        inv = self._inversions.get(progress.job_id)
        if inv is not None:
            self.encode_panel.show_progress(progress.done, progress.total, progress.message, inv.take_preview())
            return
        if progress.job_id not in self._loads:
            return
        if progress.total > 0:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        if progress.message:
            self.statusBar().showMessage(progress.message)

    @Slot(object)
    def _on_job_done(self, result: JobResult) -> None:
        if result.job_id in self._gallery_jobs:
            self._on_gallery_job(result)
            return
        if result.job_id in self._exports:
            path = self._exports.pop(result.job_id)
            if result.cancelled:
                self.statusBar().showMessage("Export cancelled", 3000)
            elif not result.ok:
                self.show_error("Cannot export video", f"Could not write “{path}”.\n\n{result.error}")
            else:
                self.statusBar().showMessage(f"Wrote {path}", 5000)
        if result.job_id in self._encodes:
            self._on_encoded(result)
            return
        if result.job_id in self._inversions:
            self._on_inverted(result)
            return
        if result.job_id in self._discoveries:
            self._on_directions(result)
            return
        if result.job_id in self._layer_probes:
            self._on_layer_shapes(result)
            return
        if self._loads.pop(result.job_id, None) is None:
            return
        if result.cancelled:
            self.statusBar().showMessage("Loading cancelled", 3000)
        if not self._loads:
            self.progress.hide()
            self.cancel_button.hide()

    def _balance_docks(self, caps: Capabilities) -> None:
        """Share each column between its visible docks: the right one by how many rows each panel has,
        the left one by the panels' natural heights (the model list takes what is left), and give the
        bottom row the interpolation panel's natural height (capped, the rest scrolls)."""
        row_px = 26
        rows = {
            "styles": (caps.w_space.num_ws + 4) if caps.w_space else 0,
            "noise": (caps.noise_layers + 5) if caps.noise_layers else 0,
            "encode": 8 if self.encode_panel.applies_to(caps) else 0,
            "directions": (caps.latent_directions + 4) if self.directions_panel.applies_to(caps) else 0,
            "discover": 8 if self.discover_panel.applies_to(caps) else 0,
        }
        shown = [name for name, n in rows.items() if n]
        if len(shown) > 1:
            self.resizeDocks([self.docks[n] for n in shown], [rows[n] * row_px for n in shown], Qt.Orientation.Vertical)
        left = [n for n in ("latent", "truncation", "progressive") if self.docks[n].isVisibleTo(self)]
        if left:
            heights = [self.param_panels[n].sizeHint().height() + 8 for n in left]
            self.resizeDocks(
                [self.docks["model"], *(self.docks[n] for n in left)], [260, *heights], Qt.Orientation.Vertical
            )
        bottom = self.docks["interpolate"]
        if bottom.isVisibleTo(self):
            height = min(230, self.interpolate_panel.sizeHint().height() + 8)
            self.resizeDocks([bottom], [height], Qt.Orientation.Vertical)

    def _show_panels_for(self, caps: Capabilities | None) -> None:
        """Show exactly the panels the capabilities call for, rebuilt for them. The feature viewer
        waits for the model's layers (``_probe_layers``)."""
        for name, panel in self.param_panels.items():
            applies = caps is not None and panel.applies_to(caps)
            if applies:
                panel.set_capabilities(caps)
                panel.set_params(self.params)
            self.docks[name].setVisible(applies)
        self.features_panel.set_layers({})
        self.features_panel.set_view_limit(self._view_limit())
        self.docks["features"].setVisible(False)

    # --- feature-map viewer ------------------------------------------------------------------------
    def _probe_layers(self, model_id: str, caps: Capabilities) -> None:
        """Ask the engine for the model's inspectable layers and their shapes (one frame, as a job)."""
        if caps.w_space is None and caps.z_dim <= 0:
            return
        handle = self.client.submit_job("layer shapes", lambda ctx: layer_shapes(ctx.model(model_id)))
        self._layer_probes[handle.job_id] = model_id

    def _on_layer_shapes(self, result: JobResult) -> None:
        mid = self._layer_probes.pop(result.job_id)
        if mid != self.model_id:
            return
        if not result.ok:
            log.warning("no feature viewer for %s: %s", mid, result.error or "cancelled")
            return
        if result.value:
            self.features_panel.set_layers(result.value)
            self._show_features_dock()

    def _show_features_dock(self) -> None:
        """Show the viewer's dock; the first time (without a saved layout) as a tab behind Model
        (the tallest dock, rarely needed once a model is open), so the viewer costs rendering
        nothing until the user raises its tab."""
        dock, model = self.docks["features"], self.docks["model"]
        if not self._features_placed and not self._layout_restored:
            self._features_placed = True
            if not model.isHidden() and not dock.isFloating():
                self.tabifyDockWidget(model, dock)  # while hidden: it then shows behind Model
                model.raise_()
        dock.setVisible(True)

    def features_shown(self) -> bool:
        """Whether the feature viewer is on screen: its dock open and not behind another tab (a
        tabbed dock stays ``isVisible()`` behind its tab, with an empty visible region)."""
        dock = self.docks["features"]
        return self.features_panel.has_layers() and dock.isVisible() and not dock.visibleRegion().isEmpty()

    def _view_limit(self) -> int | None:
        """The largest resolution the current frame computes: the level viewed on progressive models."""
        view = self.params.view_level(self.caps) if self.caps is not None else None
        if view is None or self.caps is None or self.caps.progressive is None:
            return None
        return int(self.caps.progressive.levels[view[0]])

    @Slot(bool)
    def _on_features_visibility(self, visible: bool) -> None:
        if visible and self.features_shown():
            self.request_render()

    # --- images into latents -------------------------------------------------------------------------
    def image_panel(self) -> ParamPanel | None:
        """The panel that takes dropped images: a visible panel with ``takes_images`` (None if none)."""
        for name, panel in self.param_panels.items():
            if panel.takes_images and not self.docks[name].isHidden():
                return panel
        return None

    def encode_image(self, path: str, panel: ParamPanel | None = None) -> None:
        """Encode an image file into the current model's latent (an engine job); on success its z
        becomes the current latent (an undo step) and ``panel`` shows input and reconstruction."""
        if self.model_id is None:
            self.show_error("Cannot encode image", "Open a model first.")
            return
        mid = self.model_id
        handle = self.client.submit_job(
            f"encode {Path(path).name}", lambda ctx: encode_image_file(ctx.model(mid), path)
        )
        self._encodes[handle.job_id] = (path, panel or self.encode_panel)
        self.statusBar().showMessage(f"Encoding {Path(path).name}…")

    def _on_encoded(self, result: JobResult) -> None:
        path, panel = self._encodes.pop(result.job_id)
        if not result.ok:
            reason = result.error or "cancelled"
            if hasattr(panel, "show_failed"):
                panel.show_failed(f"Could not encode {Path(path).name}")
            self.show_error("Cannot encode image", f"Could not encode “{path}”.\n\n{reason}")
            return
        enc: EncodedImage = result.value
        if self.caps is None or len(enc.z) != self.caps.z_dim:
            return  # the model changed while encoding
        if hasattr(panel, "show_encoded"):
            panel.show_encoded(enc.source, enc.input, enc.reconstruction)
        zeros = tuple(0.0 for _ in self.params.direction_offsets)
        self._on_panel_edit("encode image", {"z": enc.z, "direction_offsets": zeros})
        self.seal_undo()
        self.statusBar().showMessage(f"Encoded {Path(path).name}", 3000)

    def invert_image(self, path: str, method: str, space: str, steps: int) -> None:
        """Invert an image file into the current model's W/W+ (pSp encoder or projection, an engine job
        whose reconstruction the Encode panel shows live); on success its ws becomes the current latent."""
        if self.model_id is None or self.caps is None:
            self.encode_panel.show_failed("Open a model first")
            self.show_error("Cannot invert image", "Open a model first.")
            return
        try:
            inv = start_inversion(self.client.submit_job, self.model_id, self.caps, path, method, space, steps)
        except ValueError as e:
            self.encode_panel.show_failed(f"Could not invert {Path(path).name}")
            self.show_error("Cannot invert image", f"Could not invert “{path}”.\n\n{e}")
            return
        self._inversions[inv.handle.job_id] = inv
        self.encode_panel.show_input(inv.input)
        self.statusBar().showMessage(f"Inverting {Path(path).name}…")

    def cancel_inversions(self) -> None:
        """Stop the running inversion(s); the current latent stays as it was."""
        for inv in self._inversions.values():
            inv.handle.cancel()

    def _on_inverted(self, result: JobResult) -> None:
        inv = self._inversions.pop(result.job_id)
        name = Path(inv.path).name
        if inv.model_id != self.model_id or self.caps is None or self.caps.w_space is None:
            return  # the model changed meanwhile
        if result.cancelled:
            self.encode_panel.show_failed(f"Cancelled: {name} was not inverted")
            self.statusBar().showMessage("Inversion cancelled", 3000)
            return
        if not result.ok:
            self.encode_panel.show_failed(f"Could not invert {name}")
            self.show_error("Cannot invert image", f"Could not invert “{inv.path}”.\n\n{result.error}")
            return
        ws = result.value.latent[0]
        if tuple(ws.shape) != (self.caps.w_space.num_ws, self.caps.w_space.w_dim):
            return
        self.encode_panel.show_encoded(inv.path, inv.input, result.value.reconstruction[0])
        rows = tuple(tuple(float(v) for v in row) for row in ws.tolist())
        zeros = tuple(0.0 for _ in self.params.direction_offsets)
        self._on_panel_edit("invert image", {"ws": rows, "z": None, "direction_offsets": zeros})
        self.seal_undo()
        self.statusBar().showMessage(f"Inverted {name}", 3000)

    def _show_translation(self, pair: Any) -> None:
        """Models without a latent: the canvas shows the translate panel's input | output."""
        if self.caps is not None and self.caps.z_dim <= 0 and self.caps.w_space is None and pair is not None:
            self.canvas.set_frame(pair)

    # --- video export ---------------------------------------------------------------------------------
    def walk_plan(self, keyframes: list[KeyLike] | None = None) -> tuple[RenderRequest, list[Keyframe], str] | None:
        """(base request, keyframes, space) of the walk from the current latent A through seed B and
        ``keyframes``, with every other current setting (truncation, styles, noise, directions) as
        shown. A W+ keyframe (an inverted image) moves the walk into w+. ValueError when a keyframe
        does not fit the model; None without a model."""
        base = self.params_request()
        if base is None or self.caps is None:
            return None
        base = dataclasses.replace(base, **NO_FEATURES, interpolation=None)
        p = self.params
        a = Keyframe(seed=int(p.seed), z=base.z, ws=base.ws, label="A (current latent)")
        keys = [a, Keyframe(seed=int(p.interp_seed)), *as_keyframes(keyframes or [])]
        space = space_for(keys, p.interp_space if p.interp_space in interp_spaces(self.caps) else "z")
        check_keyframes(keys, space, self.caps)
        return base, keys, space

    def export_requests(
        self, frames: int, loop: bool, keyframes: list[KeyLike] | None = None, easing: str = "linear"
    ) -> list[RenderRequest]:
        """The frames of the walk A → B → ``keyframes`` (→ A when looping); see :meth:`walk_plan`."""
        plan = self.walk_plan(keyframes)
        if plan is None:
            return []
        base, keys, space = plan
        return walk(base, keys, frames, self.params.interp_method, space, loop, easing)

    def walk_preview_request(self) -> RenderRequest | None:
        """The walk frame the Interpolate panel's scrubber shows (None when its preview is off)."""
        panel = self.interpolate_panel
        index = panel.preview_index()
        if index is None or self.caps is None or not panel.applies_to(self.caps):
            return None
        opts = panel.walk_settings()
        plan = self.walk_plan(list(opts.keyframes))
        if plan is None:
            return None
        base, keys, space = plan
        index = min(index, opts.frames - 1)
        req = walk_frame(base, keys, opts.frames, index, self.params.interp_method, space, opts.loop, opts.easing)
        if self.features_shown():
            req = dataclasses.replace(req, **self.features_panel.request_fields())
        return req

    def add_to_walk(self, key: Keyframe) -> None:
        """Append ``key`` (e.g. a gallery bookmark) to the Interpolate panel's walk."""
        if self.caps is None or not self.interpolate_panel.applies_to(self.caps):
            return
        if self.interpolate_panel.add_keyframe(key):
            self.docks["interpolate"].show()
            self.docks["interpolate"].raise_()
            self.statusBar().showMessage(f"Added {key.name} to the walk", 3000)

    def export_video(
        self, path: str, frames: int, fps: int, loop: bool = False, options: dict[str, Any] | None = None
    ) -> None:
        """Render and encode the walk as an engine job (progress and Cancel in the status bar)."""
        if self.model_id is None:
            self.show_error("Cannot export video", "Open a model first.")
            return
        try:
            output_kind(path)
        except ValueError as e:
            self.show_error("Cannot export video", str(e))
            return
        opts = options or {}
        try:
            reqs = self.export_requests(frames, loop, list(opts.get("keyframes") or []), opts.get("easing", "linear"))
        except ValueError as e:
            self.show_error("Cannot export video", str(e))
            return
        mid = self.model_id

        def job(ctx: Any) -> Any:
            model = ctx.model(mid)
            cache = LRUCache()
            return export_job((render(model, r, cache) for r in reqs), len(reqs), path, fps)

        handle = self.client.submit_job(f"export {Path(path).name}", job)
        self._exports[handle.job_id] = path
        self._loads[handle.job_id] = handle
        self.progress.setRange(0, len(reqs))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.statusBar().showMessage(f"Exporting {Path(path).name}…")

    # --- gallery: bookmarks and attribute vectors ----------------------------------------------------------
    def bookmark_current(self) -> None:
        """Bookmark the current latent with the frame on the canvas as its thumbnail."""
        if self.caps is None or self.last_frame is None or self.last_frame.image is None:
            self.show_error("Cannot bookmark", "Open a model and wait for its first frame.")
            return
        if self.interpolate_panel.preview_index() is not None:
            self.show_error("Cannot bookmark", "The canvas shows a frame of the walk: turn off Preview walk first.")
            return
        p = self.params
        n = len(self.gallery_panel.bookmarks) + 1
        name = f"#{n} seed {p.seed}" + (" (encoded)" if p.z is not None else "")
        mark = Bookmark(
            name, int(p.seed), p.z, int(p.class_index) if self.caps.classes else None, png_bytes(self.last_frame.image)
        )
        self.gallery_panel.model_name = self.model_name or ""
        self.gallery_panel.add_bookmark(mark)

    def gallery_samples(self, seeds: list[int]) -> None:
        if self.model_id is None:
            return
        mid, cls = self.model_id, self.params.class_index if self.caps and self.caps.classes else None
        handle = self.client.submit_job("gallery samples", lambda ctx: sample_frames(ctx.model(mid), seeds, cls))
        self._gallery_jobs[handle.job_id] = ("samples", mid, seeds)

    def gallery_attribute(self, picked: list[int], others: list[int]) -> None:
        if self.model_id is None or self.caps is None:
            return
        mid = self.model_id
        space = "w" if self.caps.w_space is not None else "z"
        cls = self.params.class_index if self.caps.classes else None
        handle = self.client.submit_job(
            "attribute vector", lambda ctx: attribute_vector(ctx.model(mid), picked, others, space, cls)
        )
        self._gallery_jobs[handle.job_id] = ("attribute", mid, space)

    def _on_gallery_job(self, result: JobResult) -> None:
        kind, mid, data = self._gallery_jobs.pop(result.job_id)
        if mid != self.model_id:
            return
        if not result.ok:
            self.show_error("Gallery", result.error or "cancelled")
            return
        if kind == "samples":
            self.gallery_panel.show_samples(data, result.value)
        else:
            self.gallery_panel.set_attribute(result.value, data)

    # --- direction discovery ---------------------------------------------------------------------------
    def compute_directions(self, method: str, k: int, layers: tuple[int, int] | None) -> None:
        """Discover directions of the current model as an engine job (progress in the status bar)."""
        if self.model_id is None:
            self.show_error("Cannot compute directions", "Open a model first.")
            self.discover_panel.compute_failed("no model")
            return
        mid = self.model_id
        kwargs: dict[str, Any] = {"k": k, "layers": layers}
        handle = self.client.submit_job(
            f"{method} directions", lambda ctx: compute_directions(ctx.model(mid), method, **kwargs)
        )
        self._discoveries[handle.job_id] = mid
        self.statusBar().showMessage(f"Computing {method.upper()} directions…")

    def _on_directions(self, result: JobResult) -> None:
        mid = self._discoveries.pop(result.job_id)
        if mid != self.model_id:
            return  # the model changed meanwhile
        if not result.ok:
            reason = result.error or "cancelled"
            self.discover_panel.compute_failed(reason)
            self.show_error("Cannot compute directions", reason)
            return
        self.discover_panel.set_directions(result.value)
        self.seal_undo()
        self.statusBar().showMessage("Directions ready", 3000)

    # --- parameters & undo --------------------------------------------------------------------------
    @Slot(str, object)
    def _on_panel_edit(self, key: str, changes: dict[str, Any]) -> None:
        if self.caps is None:
            return
        new = self.params.replace(**changes)
        if new == self.params:
            return
        self.undo_stack.push(ParamCommand(self.apply_params, self.params, new, key))

    @Slot(object)
    def _on_panel_preview(self, changes: dict[str, Any]) -> None:
        """A transient change (an animation frame): shown and rendered, not an undo step."""
        if self.caps is not None:
            self.apply_params(self.params.replace(**changes))

    def apply_params(self, params: Params) -> None:
        """Make ``params`` current: show them in every panel and render."""
        self.params = params
        for panel in self.param_panels.values():
            if self.caps is not None and panel.applies_to(self.caps):
                panel.set_params(params)
        self.features_panel.set_view_limit(self._view_limit())
        self.request_render()

    @Slot()
    def seal_undo(self) -> None:
        """End the current merge: the next edit becomes its own undo step."""
        i = self.undo_stack.index()
        cmd = self.undo_stack.command(i - 1) if i > 0 else None
        if isinstance(cmd, ParamCommand):
            cmd.sealed = True

    # --- rendering --------------------------------------------------------------------------------------
    def params_request(self) -> RenderRequest | None:
        """What the current parameters describe (None without a model)."""
        if self.model_id is None or self.caps is None:
            return None
        return self.params.to_request(self.model_id, self.caps)

    def current_request(self) -> RenderRequest | None:
        """The current parameters' request plus the feature viewer's layer while it is shown (None
        without a model)."""
        req = self.params_request()
        if req is not None and self.features_shown():
            req = dataclasses.replace(req, **self.features_panel.request_fields())
        return req

    def shown_request(self) -> RenderRequest | None:
        """The main-channel request: the scrubbed walk frame while Preview walk is on, else
        :meth:`current_request`. A walk that cannot be built turns the preview off (with a message)."""
        try:
            req = self.walk_preview_request()
        except ValueError as e:
            self.interpolate_panel.set_previewing(False)
            self.statusBar().showMessage(f"Cannot preview the walk: {e}", 5000)
            req = None
        return req if req is not None else self.current_request()

    def request_render(self) -> None:
        """Submit the current parameters; while a frame is in flight, only remember to submit after it."""
        req = self.current_request()
        if req is None:
            return
        now = time.monotonic()
        if self._inflight is not None and now - self._inflight_t < INFLIGHT_TIMEOUT_S:
            self._dirty = True
            return
        self._dirty = False
        shown = self.shown_request() or req
        self._inflight = self.client.submit(shown, MAIN_CHANNEL)
        self._inflight_t = now
        self._submit_side_requests(req)

    @Slot(bool)
    def _on_dock_visibility(self, visible: bool) -> None:
        req = self.current_request() if visible else None
        if req is not None:
            self._submit_side_requests(req)

    def _submit_side_requests(self, base: RenderRequest) -> None:
        """Submit the side frames of visible panels (thumbnails), each on its channel, when changed."""
        if self.caps is None:
            return
        base = dataclasses.replace(base, **NO_FEATURES)
        for name, panel in self.param_panels.items():
            if self.docks[name].isHidden() or not panel.applies_to(self.caps):
                continue
            for channel, req in panel.side_requests(base, self.params).items():
                if self._side_sent.get(channel) != req:
                    self._side_sent[channel] = req
                    self.client.submit(req, channel)

    @Slot(str, object)
    def _on_channel_frame(self, channel: str, result: RenderResult) -> None:
        if channel != MAIN_CHANNEL:
            if result.request.model_id == self.model_id and self._side_sent.get(channel) == result.request:
                for panel in self.param_panels.values():
                    panel.show_side_frame(channel, result)
            return
        if self._inflight is not None and result.generation >= self._inflight:
            self._inflight = None
        if result.request.model_id == self.model_id:
            if result.ok and result.image is not None:
                self.canvas.set_frame(result.image)
                self.last_frame = result
                self.frames_shown += 1
                self._update_timing(result)
            else:
                self.statusBar().showMessage(f"Render failed: {result.error}", 5000)
            if self.features_shown():
                self.features_panel.show_result(result)
        if self._dirty:
            self.request_render()

    def _update_timing(self, result: RenderResult) -> None:
        now = time.monotonic()
        ms = float(result.render_ms)
        self._ms_avg = ms if self._ms_avg is None else 0.8 * self._ms_avg + 0.2 * ms
        if self._last_frame_t is not None and now - self._last_frame_t < 1.0:
            dt = now - self._last_frame_t
            self._dt_avg = dt if self._dt_avg is None else 0.8 * self._dt_avg + 0.2 * dt
        self._last_frame_t = now
        fps = 1.0 / self._dt_avg if self._dt_avg else 1000.0 / max(self._ms_avg, 1e-3)
        self.ms_label.setText(f"{self._ms_avg:.1f} ms")
        self.fps_label.setText(f"{fps:.1f} frames/s")

    # --- view & files -------------------------------------------------------------------------------------
    def set_smooth_scaling(self, smooth: bool) -> None:
        self.canvas.set_smooth(smooth)
        self.settings.smooth_scaling = smooth
        if self.smooth_action.isChecked() != smooth:
            self.smooth_action.setChecked(smooth)

    def save_image(self, path: str | None = None) -> bool:
        """Save the current frame as PNG (asks for a file name when ``path`` is None)."""
        frame = self.canvas.frame
        if frame is None:
            self.statusBar().showMessage("Nothing to save yet", 3000)
            return False
        if path is None:
            name = f"{self.model_name or 'frame'}-seed{self.params.seed}.png"
            start = Path(self.settings.last_dir or Path.home()) / name
            path, _ = QFileDialog.getSaveFileName(self, "Save image", str(start), "PNG image (*.png)")
            if not path:
                return False
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            Image.fromarray(frame[:, :, 0] if frame.ndim == 3 and frame.shape[2] == 1 else frame).save(path)
        except OSError as e:
            self.show_error("Cannot save image", f"Could not write “{path}”.\n\n{e.strerror or e}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    # --- drag & drop ---------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

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
        self.handle_dropped_paths(paths)

    def handle_dropped_paths(self, paths: list[str]) -> None:
        """A dropped checkpoint loads (the last one wins); an image goes to the visible panel that
        takes images (the last one wins); anything else gets a dialog naming it."""
        rejected: list[str] = []
        checkpoint: str | None = None
        image: str | None = None
        image_panel = self.image_panel()
        for path in paths:
            if image_panel is not None and Path(path).suffix.lower() in IMAGE_SUFFIXES and Path(path).is_file():
                image = path
                continue
            reason = drop_rejection(path)
            if reason is None:
                checkpoint = path
            else:
                rejected.append(f"“{Path(path).name}” {reason}.")
        if checkpoint is not None:
            self.open_model(checkpoint)
        elif image is not None and image_panel is not None:
            image_panel.take_image(image)
        if rejected:
            self.show_error("Cannot open file", "\n".join(rejected))

    # --- lifetime ------------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.sync()
        self.cancel_loads()
        if self.train_window is not None:
            self.train_window.shutdown()
        super().closeEvent(event)
