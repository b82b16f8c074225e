"""The frame loop: what the session's parameters describe goes to the engine, frames come back to the
canvas and to the panels that show frames of their own.

Every parameter change submits the main request (the walk frame while the Interpolate panel previews
the walk, with the feature viewer's layer while it is on screen) and the side requests of the visible
panels. The engine keeps only the newest waiting request per channel and the client drops frames of
a previous model (see :mod:`app.engine_client`), so every frame that comes back is shown: during a
drag the canvas follows as fast as the engine renders, and there is nothing to time out.

The canvas comes first: the main request has the higher priority in the engine, and the side
requests follow once the parameters have stood still for :data:`SIDE_DELAY_MS` (during a drag the
thumbnails wait, instead of tripling the work of every frame). A side request that is the main
request itself (the Arithmetic panel's A while no arithmetic is on) is not rendered twice: the
panel gets the main frame. The main frame is prepared for display on the engine thread
(:meth:`app.canvas.Display.prepare`), so the GUI thread only blits it.
The render time and frame rate reported through :attr:`FrameLoop.timing` are rolling medians
(:mod:`app.frame_stats`), cleared when no frame came for a while.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.canvas import Canvas
from app.engine_client import MAIN_CHANNEL
from app.frame_stats import FrameStats, FrameTiming
from app.panels.base import ParamPanel
from app.panels.features import FeaturesPanel
from app.panels.interpolate import InterpolatePanel
from app.session import Session
from engine.api import RenderRequest, RenderResult
from engine.families.base import Capabilities
from engine.finite import NONFINITE_WARNING

log = logging.getLogger(__name__)

MAIN_PRIORITY = 1
"""The engine renders a waiting main frame before waiting side frames (priority 0)."""
SIDE_DELAY_MS = 150
"""Side frames (thumbnails) are requested once the parameters stood still this long."""


def rendered_size(caps: Capabilities, result: RenderResult) -> tuple[int, int] | None:
    """The resolution a frame really has: its size, or less when it shows a lower level of a
    progressive model (PGGAN levels are shown up-sampled to the model's size)."""
    if result.image is None:
        return None
    h, w = int(result.image.shape[0]), int(result.image.shape[1])
    if caps.progressive is not None and caps.progressive.levels:
        level, _alpha = caps.progressive.viewed(dict(result.request.view.options))
        side = int(caps.progressive.levels[level])
        if side < min(w, h):
            return side, side
    return w, h


class FrameLoop(QObject):
    """Submits the session's frames and shows what comes back.

    ``panels`` are the panels that may show side frames, each with a predicate telling whether it is
    on screen; ``features_shown`` tells whether the feature viewer is on screen. ``timing(FrameTiming)``
    reports the rolling render time and frame rate after each main frame, and an empty timing once
    no frame came for :attr:`FrameStats.window_s` seconds (or a model is opened).
    """

    timing = Signal(object)

    def __init__(
        self,
        session: Session,
        canvas: Canvas,
        walk: InterpolatePanel,
        features: FeaturesPanel,
        features_shown: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.canvas = canvas
        self._display = canvas.display  # a plain object the engine thread may use
        self.walk = walk
        self.features = features
        self.features_shown = features_shown
        self.panels: list[tuple[ParamPanel, Callable[[], bool]]] = []
        self.frames_shown = 0
        self._main_sent: RenderRequest | None = None
        self._side_sent: dict[str, RenderRequest] = {}
        self._side_main: dict[str, RenderRequest] = {}  # side channels served by the main frame
        self.stats = FrameStats()
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._on_idle)
        self._side_timer = QTimer(self)
        self._side_timer.setSingleShot(True)
        self._side_timer.setInterval(SIDE_DELAY_MS)
        self._side_timer.timeout.connect(self.submit_side_requests)
        session.client.frame.connect(self._on_frame)
        session.model_changed.connect(self._on_model)
        session.params_changed.connect(lambda _p: self.request_render())

    def add_panel(self, panel: ParamPanel, visible: Callable[[], bool]) -> None:
        """Let ``panel`` show side frames while ``visible()``."""
        self.panels.append((panel, visible))

    # --- requests --------------------------------------------------------------------------------
    def current_request(self) -> RenderRequest | None:
        """The current parameters' request plus the feature viewer's layer while it is shown (None
        without a model)."""
        req = self.session.request()
        if req is not None and self.features_shown():
            req = self._with_features(req)
        return req

    def shown_request(self) -> RenderRequest | None:
        """The main-channel request: the scrubbed walk frame while Preview walk is on, else
        :meth:`current_request`. A walk that cannot be built turns the preview off (with a message)."""
        try:
            walk = self.walk.preview_request()
        except ValueError as e:
            self.walk.set_previewing(False)
            self.session.status(f"Cannot preview the walk: {e}", 5000)
            walk = None
        if walk is not None and self.features_shown():
            walk = self._with_features(walk)
        return walk if walk is not None else self.current_request()

    def _with_features(self, req: RenderRequest) -> RenderRequest:
        return dataclasses.replace(req, view=dataclasses.replace(req.view, **self.features.request_fields()))

    def request_render(self) -> None:
        """Submit the main frame now and the visible panels' side frames once the parameters stand
        still (each channel keeps only its newest)."""
        caps = self.session.caps
        if caps is None or not caps.renders_latent:
            return  # nothing renders from a latent on this model
        shown = self.shown_request()
        if shown is None:
            return
        self._main_sent = shown
        self.session.client.submit(shown, MAIN_CHANNEL, prepare=self._prepare, priority=MAIN_PRIORITY)
        self._side_timer.start()

    def _prepare(self, result: RenderResult) -> object:
        """On the engine thread: the main frame converted and scaled for the canvas."""
        return self._display.prepare(result.image)

    def submit_side_requests(self) -> None:
        """Submit the side frames of visible panels (thumbnails), each on its channel, when changed.
        A side request equal to the main request waits for the main frame instead."""
        self._side_timer.stop()
        caps, base = self.session.caps, self.session.request()
        if caps is None or base is None:
            return
        main = self._main_sent
        for panel, visible in self.panels:
            if not visible() or not panel.applies_to(caps):
                continue
            for channel, req in panel.side_requests(base, self.session.params).items():
                follows_main = req == main
                if self._side_sent.get(channel) == req and (channel in self._side_main) == follows_main:
                    continue
                self._side_sent[channel] = req
                if follows_main:
                    self._side_main[channel] = req
                    last = self.session.last_frame
                    if last is not None and last.request == req:
                        panel.show_side_frame(channel, last)
                else:
                    self._side_main.pop(channel, None)
                    self.session.client.submit(req, channel)

    # --- results ---------------------------------------------------------------------------------
    def _on_model(self, _model: object) -> None:
        self._side_sent.clear()
        self._side_main.clear()
        self._main_sent = None
        self._side_timer.stop()
        self.stats.reset(skip_first=True)  # the first frame of a model includes its warm-up
        self._idle.stop()
        self.timing.emit(self._timing(None))

    @Slot(str, object, object)
    def _on_frame(self, channel: str, result: RenderResult, prepared: object = None) -> None:
        if channel != MAIN_CHANNEL:
            for panel, _visible in self.panels:
                panel.show_side_frame(channel, result)
            return
        if result.ok and result.image is not None:
            if not result.finite:  # NaN/inf weights or settings: black, but not a valid image
                self.session.status(f"Warning: {NONFINITE_WARNING}", 8000)
            self.canvas.set_frame(result.image, key=result.request, prepared=prepared)
            self.session.last_frame = result
            self.session.walk_frame_shown = self.walk.preview_index() is not None
            self.frames_shown += 1
            self._serve_side_channels(result)
            self.stats.add(time.monotonic(), float(result.render_ms))
            self._idle.start(round(self.stats.window_s * 1000) + 50)
            self.timing.emit(self._timing(result))
        else:
            self.session.status(f"Render failed: {result.error}", 5000)
        if self.features_shown():
            self.features.show_result(result)

    def _serve_side_channels(self, result: RenderResult) -> None:
        """Give the main frame to the side channels that asked for the same request."""
        for channel, req in self._side_main.items():
            if req == result.request:
                for panel, _visible in self.panels:
                    panel.show_side_frame(channel, result)

    def _timing(self, result: RenderResult | None) -> FrameTiming:
        caps = self.session.caps
        res = caps.resolution if caps is not None else 0
        size = rendered_size(caps, result) if caps is not None and result is not None else None
        now = time.monotonic()
        return FrameTiming(self.stats.render_ms(now), self.stats.fps(now), size, res)

    def _on_idle(self) -> None:
        """No frame for a while: the rolling figures say nothing any more."""
        self.stats.reset()
        last = self.session.last_frame
        self.timing.emit(self._timing(last if last is not None and last.ok else None))
