"""The feature-map viewer: one layer's activations for the frame on the canvas, updated with every frame.

The viewer's choices (layer, channel, intensity) are view settings, not image parameters: they are
not in :class:`app.params.Params` (so not undo steps), and the window adds them to the main render
request only while this panel's dock is visible (``request_fields``). The engine installs its hook
only for a request that names a layer, so a closed or hidden viewer costs rendering nothing.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.canvas import Canvas
from app.widgets import FloatSlider, no_drops, set_silently
from engine.api import JobResult, RenderResult
from engine.features import layer_shapes

if TYPE_CHECKING:
    from app.session import OpenModel, Session

log = logging.getLogger(__name__)

GRID, ONE = "All channels (grid)", "One channel"
LOG2_SCALE_RANGE = (-2.0, 4.0)  # intensity gain 0.25× … 16×
PLACEHOLDER = "Feature maps of the chosen layer appear here"


class FeatureView(Canvas):
    """The activation image, as large as fits: enlarged with nearest neighbour (by a whole factor
    from 2× up, so cells stay even), smooth when reduced (so thin grid separators do not alias away)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 120)
        self.set_placeholder(PLACEHOLDER)

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    def target_rect(self) -> QRectF:
        """As large as fits, centred; enlarged 2× or more by a whole factor, so every cell and
        separator keeps the same width."""
        image = self.image()
        if image is None:
            return QRectF()
        iw, ih = image.width(), image.height()
        scale = min(self.width() / iw, self.height() / ih)
        if scale >= 2:
            scale = math.floor(scale)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        image = self.image()
        if image is not None:
            self.smooth = self.target_rect().width() < image.width()
        super().paintEvent(event)


class FeaturesPanel(QWidget):
    """Layer combo, grid / one-channel choice with a channel spin box, intensity slider and the view.

    ``changed`` is emitted when a choice changes (the window renders again). Bound to a session,
    the panel asks the engine for each new model's layers and their shapes (a job of its own) and
    emits ``layers_ready`` once it has some. ``set_layers`` takes the layers' output shapes
    (C, H, W) in order; :meth:`view_limit` is the largest resolution the current frame computes
    (progressive models viewed at a lower level), None when all layers run.
    """

    changed = Signal()
    layers_ready = Signal()
    title = "Features"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shapes: dict[str, tuple[int, int, int]] = {}
        self.session: Session | None = None
        outer = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layer = QComboBox()
        self.layer.setToolTip("The layer whose output (activations) is shown")
        form.addRow("Layer", self.layer)
        self.mode = QComboBox()
        self.mode.addItems([GRID, ONE])
        self.channel = QSpinBox()
        self.channel.setToolTip("The channel shown alone")
        self.channel.setKeyboardTracking(False)
        self.channel.setMinimumWidth(70)
        no_drops(self.channel)
        show = QHBoxLayout()
        show.addWidget(self.mode, 1)
        show.addWidget(self.channel)
        form.addRow("Show", show)
        self.scale = FloatSlider(*LOG2_SCALE_RANGE, step=0.1, value=0.0)
        self.scale.setToolTip(
            "Intensity gain: grey is 0, white and black the largest positive and negative activations ÷ gain"
        )
        self.scale_label = QLabel("×1.0")
        self.scale_label.setMinimumWidth(40)
        gain = QHBoxLayout()
        gain.addWidget(self.scale, 1)
        gain.addWidget(self.scale_label)
        form.addRow("Intensity", gain)
        outer.addLayout(form)
        self.view = FeatureView()
        outer.addWidget(self.view, 1)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: gray;")
        outer.addWidget(self.caption)
        self._sync_channel_box()

        self.layer.currentIndexChanged.connect(self._layer_chosen)
        self.mode.currentIndexChanged.connect(self._mode_chosen)
        self.channel.valueChanged.connect(lambda _v: self.changed.emit())
        self.scale.floatValueChanged.connect(self._scale_moved)

    def bind(self, session: Session) -> None:
        """Probe the layers of every model ``session`` opens."""
        self.session = session
        session.model_changed.connect(self._probe)

    def _probe(self, model: OpenModel) -> None:
        """Ask the engine for the model's inspectable layers and their shapes (one frame, as a job)."""
        self.set_layers({})
        if not model.caps.renders_latent:
            return
        self.session.model_job("layer shapes", layer_shapes, on_done=self._probed, on_error=self._probe_failed)

    def _probed(self, shapes: dict[str, tuple[int, int, int]]) -> None:
        if shapes:
            self.set_layers(shapes)
            self.layers_ready.emit()

    def _probe_failed(self, result: JobResult) -> None:
        log.warning("no feature viewer for %s: %s", self.session.model_id, result.error or "cancelled")

    # --- state --------------------------------------------------------------------------------
    def has_layers(self) -> bool:
        return bool(self.shapes)

    def current_layer(self) -> str | None:
        name = self.layer.currentData()
        return str(name) if name is not None else None

    def gain(self) -> float:
        return round(2.0 ** self.scale.float_value(), 4)

    def layer_runs(self, name: str | None) -> bool:
        """Whether layer ``name`` is computed for the current frame (see :meth:`view_limit`)."""
        if name is None or name not in self.shapes:
            return False
        limit = self.view_limit()
        return limit is None or self.shapes[name][1] <= limit

    def view_limit(self) -> int | None:
        """The largest resolution the current frame computes: the level viewed on progressive models
        (None when every layer runs)."""
        caps = self.session.caps if self.session is not None else None
        prog = caps.progressive if caps is not None else None
        if prog is None or not prog.levels:
            return None
        level, _alpha = prog.viewed(dict(self.session.params.view.options))
        return int(prog.levels[level])

    def request_fields(self) -> dict[str, object]:
        """The :class:`~engine.api.View` fields asking for the chosen layer ({} when there is nothing to ask)."""
        name = self.current_layer()
        if not self.layer_runs(name):
            return {}
        channel = int(self.channel.value()) if self.mode.currentText() == ONE else None
        return {"feature_layer": name, "feature_channel": channel, "feature_scale": self.gain()}

    # --- model & frames -----------------------------------------------------------------------
    def set_layers(self, shapes: dict[str, tuple[int, int, int]]) -> None:
        """Offer these layers (name → output shape (C, H, W)); keeps the chosen layer when it exists."""
        previous = self.current_layer()
        self.shapes = dict(shapes)
        blocked = self.layer.blockSignals(True)
        self.layer.clear()
        for name, (c, h, w) in self.shapes.items():
            self.layer.addItem(f"{name} · {c} ch · {h}×{w}", name)
        names = list(self.shapes)
        if names:
            self.layer.setCurrentIndex(names.index(previous) if previous in names else len(names) // 2)
        self.layer.blockSignals(blocked)
        self._sync_channel_box()
        self.view.set_frame(None)
        self.view.set_placeholder(PLACEHOLDER)
        self.caption.setText("")

    def show_result(self, result: RenderResult) -> None:
        """Show the activations a main-channel frame carried (or why there are none)."""
        name = self.current_layer()
        view = result.request.view
        if result.features is not None and view.feature_layer is not None:
            shown = view.feature_layer
            c, h, w = self.shapes.get(shown, (0, 0, 0))
            self.view.set_frame(result.features)
            which = f"channel {view.feature_channel} of {c}" if view.feature_channel is not None else f"{c} channels"
            self.caption.setText(f"{shown}: {which}, {h}×{w} · gain ×{view.feature_scale:g}")
        elif not result.ok and view.feature_layer is not None:
            self.view.set_frame(None)
            self.view.set_placeholder("No feature maps")
            self.caption.setText(f"Could not show {view.feature_layer}: {result.error}")
        elif name is not None and not self.layer_runs(name):
            h, lim = self.shapes[name][1], self.view_limit()
            self.view.set_frame(None)
            self.view.set_placeholder(f"{name} ({h}×{h}) is not computed when viewing {lim}×{lim}")
            self.caption.setText("Choose a lower layer or a higher level")

    # --- controls -------------------------------------------------------------------------------
    def _sync_channel_box(self) -> None:
        name = self.current_layer()
        channels = self.shapes[name][0] if name in self.shapes else 1
        set_silently(self.channel, "setMaximum", max(0, channels - 1))
        self.channel.setSuffix(f" / {channels}")
        self.channel.setEnabled(self.mode.currentText() == ONE and bool(self.shapes))

    def _layer_chosen(self, _index: int) -> None:
        self._sync_channel_box()
        self.changed.emit()

    def _mode_chosen(self, _index: int) -> None:
        self._sync_channel_box()
        self.changed.emit()

    def _scale_moved(self, _value: float) -> None:
        self.scale_label.setText(f"×{self.gain():g}")
        self.changed.emit()
