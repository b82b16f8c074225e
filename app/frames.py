"""The frame loop: what the session's parameters describe goes to the engine, frames come back to the
canvas and to the panels that show frames of their own.

Every parameter change submits the main request (the walk frame while the Interpolate panel previews
the walk, with the feature viewer's layer while it is on screen) and the side requests of the visible
panels. The engine keeps only the newest waiting request per channel and the client drops frames of
a previous model (see :mod:`app.engine_client`), so every frame that comes back is shown: during a
drag the canvas follows as fast as the engine renders, and there is nothing to time out.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from app.canvas import Canvas
from app.engine_client import MAIN_CHANNEL
from app.panels.base import ParamPanel
from app.panels.features import FeaturesPanel
from app.panels.interpolate import InterpolatePanel
from app.session import Session
from engine.api import RenderRequest, RenderResult

log = logging.getLogger(__name__)


class FrameLoop(QObject):
    """Submits the session's frames and shows what comes back.

    ``panels`` are the panels that may show side frames, each with a predicate telling whether it is
    on screen; ``features_shown`` tells whether the feature viewer is on screen. ``timing(ms, fps)``
    reports the smoothed render time and frame rate after each main frame.
    """

    timing = Signal(float, float)

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
        self.walk = walk
        self.features = features
        self.features_shown = features_shown
        self.panels: list[tuple[ParamPanel, Callable[[], bool]]] = []
        self.frames_shown = 0
        self._side_sent: dict[str, RenderRequest] = {}
        self._ms_avg: float | None = None
        self._dt_avg: float | None = None
        self._last_frame_t: float | None = None
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
        """Submit the main frame and the visible panels' side frames (each channel keeps only its newest)."""
        caps = self.session.caps
        if caps is None or not caps.renders_latent:
            return  # nothing renders from a latent on this model
        shown = self.shown_request()
        if shown is None:
            return
        self.session.client.submit(shown, MAIN_CHANNEL)
        self.submit_side_requests()

    def submit_side_requests(self) -> None:
        """Submit the side frames of visible panels (thumbnails), each on its channel, when changed."""
        caps, base = self.session.caps, self.session.request()
        if caps is None or base is None:
            return
        for panel, visible in self.panels:
            if not visible() or not panel.applies_to(caps):
                continue
            for channel, req in panel.side_requests(base, self.session.params).items():
                if self._side_sent.get(channel) != req:
                    self._side_sent[channel] = req
                    self.session.client.submit(req, channel)

    # --- results ---------------------------------------------------------------------------------
    def _on_model(self, _model: object) -> None:
        self._side_sent.clear()
        self._ms_avg = self._dt_avg = self._last_frame_t = None

    @Slot(str, object)
    def _on_frame(self, channel: str, result: RenderResult) -> None:
        if channel != MAIN_CHANNEL:
            for panel, _visible in self.panels:
                panel.show_side_frame(channel, result)
            return
        if result.ok and result.image is not None:
            self.canvas.set_frame(result.image)
            self.session.last_frame = result
            self.session.walk_frame_shown = self.walk.preview_index() is not None
            self.frames_shown += 1
            self._update_timing(result)
        else:
            self.session.status(f"Render failed: {result.error}", 5000)
        if self.features_shown():
            self.features.show_result(result)

    def _update_timing(self, result: RenderResult) -> None:
        now = time.monotonic()
        ms = float(result.render_ms)
        self._ms_avg = ms if self._ms_avg is None else 0.8 * self._ms_avg + 0.2 * ms
        if self._last_frame_t is not None and now - self._last_frame_t < 1.0:
            dt = now - self._last_frame_t
            self._dt_avg = dt if self._dt_avg is None else 0.8 * self._dt_avg + 0.2 * dt
        self._last_frame_t = now
        fps = 1.0 / self._dt_avg if self._dt_avg else 1000.0 / max(self._ms_avg, 1e-3)
        self.timing.emit(self._ms_avg, fps)
