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

Big models stay interactive through previews. When the model declares preview resolutions
(``Capabilities.preview_resolutions``) and its full frame takes longer than :data:`PREVIEW_BUDGET_MS`,
an edit renders the preview — the largest resolution whose measured time fits the budget — and the
full frame follows once the input has been idle for :data:`IDLE_MS`, as an interruptible frame (the
next edit abandons it). The canvas label says which one it shows. Side frames (thumbnails) of such a
model are previews at thumbnail size (:meth:`FrameLoop.thumbnail_request`).
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
PREVIEW_BUDGET_MS = 150.0
"""A slider should answer within this: models whose full frame takes longer show previews while editing."""
IDLE_MS = 300
"""After this long without an edit the full frame replaces the preview."""
MIN_PREVIEW = 32
"""The smallest preview resolution chosen on its own (a forced level may be smaller)."""
STEP_UP = 0.4
"""A preview level is raised when its frames take less than this fraction of the budget."""


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
        self.forced_preview: int | None = None
        """A preview resolution to use for every edit regardless of timing (tests, settings); None: by timing."""
        self.full_ms: float | None = None  # smoothed render time of full main frames
        self.preview_ms: dict[int, float] = {}  # smoothed render time of main previews, per resolution
        self.preview_level: int | None = None  # the preview resolution edits render now
        self._full_timer = QTimer(self)
        self._full_timer.setSingleShot(True)
        self._full_timer.setInterval(IDLE_MS)
        self._full_timer.timeout.connect(self._submit_full)
        self._side_interruptible: set[str] = set()  # channels whose last side frame may be abandoned
        self._side_shown: dict[str, RenderRequest] = {}
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
        """Submit the main frame now (a preview on a big model, whose full frame follows when the input
        is idle) and the visible panels' side frames once the parameters stand still (each channel
        keeps only its newest)."""
        caps = self.session.caps
        if caps is None or not caps.renders_latent:
            return  # nothing renders from a latent on this model
        shown = self.shown_request()
        if shown is None:
            return
        level = self.choose_preview()
        if level is None:
            self._full_timer.stop()
            self._main_sent = shown
            self._submit_main(shown)
            self._side_timer.start()
        else:  # side frames of a big model wait for the pause too
            self._main_sent = None
            self._side_timer.stop()
            self._submit_main(self._as_preview(shown, level))
            self._full_timer.start()  # (re)started by every edit: the full frame waits for a pause

    def _submit_main(self, req: RenderRequest, interruptible: bool = False) -> None:
        self.session.client.submit(
            req, MAIN_CHANNEL, prepare=self._prepare, priority=MAIN_PRIORITY, interruptible=interruptible
        )

    def _submit_full(self) -> None:
        """The input is idle: the full frame and the side frames, all abandoned by the next edit."""
        caps = self.session.caps
        shown = self.shown_request() if caps is not None and caps.renders_latent else None
        if shown is not None:
            self._main_sent = shown
            self._submit_main(shown, interruptible=True)
            self.submit_side_requests(interruptible=True)

    @staticmethod
    def _as_preview(req: RenderRequest, level: int) -> RenderRequest:
        return dataclasses.replace(req, view=dataclasses.replace(req.view, preview=level))

    def _prepare(self, result: RenderResult) -> object:
        """On the engine thread: the main frame converted and scaled for the canvas."""
        return self._display.prepare(result.image)

    def choose_preview(self) -> int | None:
        """The preview resolution an edit renders now, or None for the full frame: the forced level,
        else (when the model has previews, the full frame is over budget and the feature viewer is off)
        the largest level whose measured time fits :data:`PREVIEW_BUDGET_MS`, moving one level at a time."""
        caps = self.session.caps
        if caps is None or not caps.preview_resolutions:
            return None
        levels = sorted(caps.preview_resolutions)
        if self.forced_preview is not None:
            return self.forced_preview if self.forced_preview in levels else None
        if self.features_shown() or self.full_ms is None or self.full_ms <= PREVIEW_BUDGET_MS:
            return None
        usable = [r for r in levels if r >= MIN_PREVIEW] or levels[-1:]
        level = self.preview_level if self.preview_level in usable else usable[0]
        i = usable.index(level)
        ms = self.preview_ms.get(level)
        if ms is not None and ms > PREVIEW_BUDGET_MS and i > 0:
            level = usable[i - 1]
        elif ms is not None and ms < STEP_UP * PREVIEW_BUDGET_MS and i + 1 < len(usable):
            nxt = usable[i + 1]
            if self.preview_ms.get(nxt, 0.0) <= PREVIEW_BUDGET_MS:
                level = nxt
        self.preview_level = level
        return level

    def thumbnail_request(self, req: RenderRequest, size: int) -> RenderRequest:
        """``req`` as a side frame shown ``size`` pixels wide: the smallest preview at least that big
        when the model's full frame is over budget (or previews are forced), else ``req`` itself."""
        caps = self.session.caps
        if caps is None:
            return req
        big = self.forced_preview is not None or (self.full_ms is not None and self.full_ms > PREVIEW_BUDGET_MS)
        level = caps.preview_for(size) if big else None
        return req if level is None else self._as_preview(req, level)

    def submit_side_requests(self, interruptible: bool = False) -> None:
        """Submit the side frames of visible panels (thumbnails), each on its channel, unless that frame
        is already shown or on its way (an ``interruptible`` one counts as on its way only until the
        next submission, since it may be abandoned). A side request equal to the main request waits
        for the main frame instead."""
        self._side_timer.stop()
        caps, base = self.session.caps, self.session.request()
        if caps is None or base is None:
            return
        main = self._main_sent
        for panel, visible in self.panels:
            if not visible() or not panel.applies_to(caps):
                continue
            size = panel.thumbnail_size
            for channel, req in panel.side_requests(base, self.session.params).items():
                if size is not None:
                    req = self.thumbnail_request(req, int(size))
                follows_main = req == main
                maybe_lost = channel in self._side_interruptible and self._side_shown.get(channel) != req
                if (
                    self._side_sent.get(channel) == req
                    and (channel in self._side_main) == follows_main
                    and not maybe_lost
                ):
                    continue
                self._side_sent[channel] = req
                if follows_main:
                    self._side_main[channel] = req
                    last = self.session.last_frame
                    if last is not None and last.request == req:
                        panel.show_side_frame(channel, last)
                else:
                    self._side_main.pop(channel, None)
                    if interruptible:
                        self._side_interruptible.add(channel)
                    else:
                        self._side_interruptible.discard(channel)
                    self.session.client.submit(req, channel, interruptible=interruptible)

    # --- results ---------------------------------------------------------------------------------
    def _on_model(self, _model: object) -> None:
        self._side_sent.clear()
        self._side_main.clear()
        self._main_sent = None
        self._side_timer.stop()
        self._side_shown.clear()
        self._side_interruptible.clear()
        self._full_timer.stop()
        self.full_ms, self.preview_ms, self.preview_level = None, {}, None
        self.canvas.set_label("")
        self.stats.reset(skip_first=True)  # the first frame of a model includes its warm-up
        self._idle.stop()
        self.timing.emit(self._timing(None))

    @Slot(str, object, object)
    def _on_frame(self, channel: str, result: RenderResult, prepared: object = None) -> None:
        if channel != MAIN_CHANNEL:
            if result.ok:
                self._side_shown[channel] = result.request
            for panel, _visible in self.panels:
                panel.show_side_frame(channel, result)
            return
        if result.ok and result.image is not None:
            if not result.finite:  # NaN/inf weights or settings: black, but not a valid image
                self.session.status(f"Warning: {NONFINITE_WARNING}", 8000)
            self._measure(result)
            self.canvas.set_frame(result.image, key=result.request, prepared=prepared)
            self.canvas.set_label(self.frame_label(result))
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

    def _measure(self, result: RenderResult) -> None:
        ms, preview = float(result.render_ms), result.request.view.preview
        if preview is None:
            self.full_ms = ms if self.full_ms is None else 0.7 * self.full_ms + 0.3 * ms
        else:
            old = self.preview_ms.get(preview)
            self.preview_ms[preview] = ms if old is None else 0.7 * old + 0.3 * ms

    def frame_label(self, result: RenderResult) -> str:
        """What the canvas says about a main frame: "preview R×R" for a preview, "full R×R" for a full
        frame of a model that shows previews, nothing otherwise."""
        caps = self.session.caps
        preview = result.request.view.preview
        if preview is not None:
            return f"preview {preview}×{preview} — full frame follows"
        if caps is not None and caps.preview_resolutions and (self.forced_preview is not None or self.preview_ms):
            h, w = result.image.shape[:2] if result.image is not None else (caps.resolution, caps.resolution)
            return f"full {w}×{h}"
        return ""

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
