"""The interpolation panel (models with a latent): blend the current latent A toward seed B; a walk
A → B → more keyframes (seeds, bookmarks, latent files) exported as a video, and a scrubber that
previews any frame of it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QWidget,
)

from app.dialogs.export_video import ExportVideoDialog, VideoExport
from app.panels.base import ParamPanel
from app.panels.keyframe_list import KeyframeList
from app.params import Params
from app.widgets import FloatSlider, random_seed, seed_spin, set_silently
from engine.api import INTERP_METHODS, JobHandle, JobResult, RenderRequest, allowed_spaces
from engine.families.base import Capabilities
from engine.latent.keyframes import (
    EASINGS,
    Keyframe,
    KeyLike,
    as_keyframes,
    check_keyframes,
    space_for,
    walk,
    walk_frame,
)
from engine.render import LRUCache, render
from engine.video import DEFAULT_QUALITY, OutputSize, export_job, output_kind

SPACE_TIPS = {
    "z": "Blend the z vectors",
    "w": "Blend the mapped w vectors (after truncation)",
    "wplus": "Per-layer w (W+): each style layer blended on its own; walks through inverted images use it",
}
TICK_MS = 40
STEP = 0.02  # t per animation tick: one sweep A → B in 50 ticks


@dataclass(frozen=True)
class WalkSettings:
    """The walk the panel describes after A → B: frame count, loop, keyframes after B, easing."""

    frames: int
    loop: bool
    keyframes: tuple[Keyframe, ...]
    easing: str


class InterpolatePanel(ParamPanel):
    """On/off, seed B, t slider, method (slerp | lerp), space (z, or w / wplus when the model has W),
    Play/Pause (t swings back and forth; frames are not undo steps) and "Make B current"; the walk's
    keyframes after B (:class:`KeyframeList`), frames/fps/loop/easing, Export video… (a job of the
    panel's own, shown in the status bar), and a frame scrubber with "Preview walk" (the canvas shows
    that frame of the walk instead of the current latent)."""

    title = "Interpolate"
    walk_preview_changed = Signal(object)
    """The walk frame index the canvas should show (None: the current latent, as usual)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.params = Params()
        self.direction = 1.0
        # Two columns, so the whole panel fits the bottom row of a 900 px screen: blending A → B
        # (and the walk's video settings) on the left, the walk's keyframes and scrubber on the right.
        columns = QHBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        walk_form = QFormLayout()
        walk_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        columns.addLayout(form, 1)
        columns.addSpacing(8)
        columns.addLayout(walk_form, 1)
        self.enabled = QCheckBox("Blend A (the current latent) toward B")
        form.addRow(self.enabled)

        self.seed_b = seed_spin()
        self.seed_b.setToolTip("Seed of the latent B")
        self.randomise = QPushButton("Randomise")
        row = QHBoxLayout()
        row.addWidget(self.seed_b, 1)
        row.addWidget(self.randomise)
        form.addRow("Seed B", row)

        self.t_slider = FloatSlider(0.0, 1.0, step=0.001, value=0.5)
        self.t_slider.setToolTip("0 = A, 1 = B")
        self.t_label = QLabel("0.50")
        self.t_label.setMinimumWidth(34)
        trow = QHBoxLayout()
        trow.addWidget(self.t_slider, 1)
        trow.addWidget(self.t_label)
        form.addRow("t", trow)

        self.method = QComboBox()
        self.method.addItems(list(INTERP_METHODS))
        self.method.setToolTip("slerp follows the sphere Gaussian latents live on; lerp is a straight line")
        self.space = QComboBox()
        self.space.setToolTip("Interpolate the z vectors, or the mapped w vectors (models with a W space)")
        mrow = QHBoxLayout()
        mrow.addWidget(self.method, 1)
        mrow.addWidget(QLabel("in"))
        mrow.addWidget(self.space, 1)
        form.addRow("Method", mrow)

        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.play.setToolTip("Animate t back and forth between A and B")
        self.make_current = QPushButton("Make B current")
        self.make_current.setToolTip("Seed B becomes the main seed (and the old seed becomes B)")
        brow = QHBoxLayout()
        brow.addWidget(self.play)
        brow.addWidget(self.make_current)
        form.addRow(brow)

        self.frames = QSpinBox()
        self.frames.setRange(2, 10000)
        self.frames.setValue(120)
        self.frames.setToolTip("Frames in the exported video")
        self.fps = QSpinBox()
        self.fps.setRange(1, 120)
        self.fps.setValue(30)
        self.fps.setToolTip("Frames per second")
        self.loop = QCheckBox("Loop")
        self.loop.setToolTip("Walk A → B → A, so the video repeats seamlessly")
        self.easing = QComboBox()
        self.easing.addItems(list(EASINGS))
        self.easing.setToolTip("linear, or smooth (slows down at each keyframe)")
        self.export = QPushButton("Export video…")
        self.export.setToolTip(
            "Write the walk A → B → keyframes as MP4, GIF or WebM (runs as a job with progress and cancel)"
        )
        erow = QHBoxLayout()
        for w in (self.frames, QLabel("fps"), self.fps, self.loop):
            erow.addWidget(w)
        form.addRow("Frames", erow)
        xrow = QHBoxLayout()
        xrow.addWidget(self.easing, 1)
        xrow.addWidget(self.export)
        form.addRow("Easing", xrow)
        self.walk_keys = KeyframeList()
        walk_title = QLabel("Walk: A → B, then these keyframes")
        walk_title.setToolTip("The walk Export video… writes and the scrubber previews")
        walk_form.addRow(walk_title)
        walk_form.addRow(self.walk_keys)

        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setRange(0, self.frames.value() - 1)
        self.scrub.setToolTip("Any frame of the walk (turns on Preview walk)")
        self.scrub_label = QLabel()
        self.scrub_label.setMinimumWidth(64)
        self.preview = QPushButton("Preview walk")
        self.preview.setCheckable(True)
        self.preview.setToolTip("Show the scrubber's frame of the walk on the canvas instead of the current latent")
        srow = QHBoxLayout()
        srow.addWidget(self.scrub, 1)
        srow.addWidget(self.scrub_label)
        srow.addWidget(self.preview)
        walk_form.addRow("Frame", srow)
        self._scrub_text()
        self.dialog: ExportVideoDialog | None = None

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

        self.enabled.toggled.connect(lambda on: self.emit_edit("interp_on", interpolating=bool(on)))
        self.seed_b.valueChanged.connect(
            lambda v: self.emit_edit("interp_seed", interpolation={"seed_b": int(v)}, interpolating=True)
        )
        self.randomise.clicked.connect(lambda: self.seed_b.setValue(random_seed()))
        self.t_slider.floatValueChanged.connect(self._t_changed)
        self.t_slider.sliderReleased.connect(self.committed.emit)
        self.method.currentTextChanged.connect(lambda m: self.emit_edit("interp_method", interpolation={"method": m}))
        self.space.currentTextChanged.connect(
            lambda s: s and self.emit_edit("interp_space", interpolation={"space": s})
        )
        self.play.toggled.connect(self.set_playing)
        self.make_current.clicked.connect(self._make_current)
        self.export.clicked.connect(self.export_dialog)
        self.walk_keys.changed.connect(self._walk_changed)
        self.walk_keys.current_requested.connect(lambda: self.add_keyframe(self.current_keyframe()))
        self.walk_keys.error_raised.connect(lambda title, text: self.session.show_error(title, text))
        self.frames.valueChanged.connect(self._frames_changed)
        self.loop.toggled.connect(self._walk_changed)
        self.easing.currentTextChanged.connect(self._walk_changed)
        self.scrub.valueChanged.connect(self._scrubbed)
        self.preview.toggled.connect(self.set_previewing)

    def export_dialog(self) -> ExportVideoDialog | None:
        """Open Export video… (format, size, fps, frames, loop, easing, quality; the last choices and
        folder remembered); accepting it writes the walk (:meth:`export_video`) and the panel's frames,
        loop and easing follow the dialog. Non-modal: kept in :attr:`dialog` while open."""
        session = self.session
        model = session.model if session is not None else None
        if model is None or session.settings is None or not self.applies_to(model.caps):
            if session is not None:
                session.status("Export video needs a model that generates from a latent")
            return None
        walk = self.walk_settings()
        dialog = ExportVideoDialog(
            session.settings, model.name, model.caps.resolution, walk.frames, walk.loop, walk.easing, self
        )
        dialog.accepted.connect(lambda: self._export_accepted(dialog.value()))
        dialog.finished.connect(lambda _: setattr(self, "dialog", None) if self.dialog is dialog else None)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _export_accepted(self, export: VideoExport) -> None:
        self.frames.setValue(export.frames)
        self.fps.setValue(export.fps)
        self.loop.setChecked(export.loop)
        self.easing.setCurrentText(export.easing)
        options = {"keyframes": self.keyframes(), "easing": export.easing, "size": export.size}
        self.export_video(export.path, export.frames, export.fps, export.loop, {**options, "quality": export.quality})

    def export_video(
        self, path: str, frames: int, fps: int, loop: bool = False, options: dict[str, object] | None = None
    ) -> None:
        """Render and encode the walk A → B (→ ``options["keyframes"]``) (→ A when looping) as an
        engine job with progress and Cancel in the status bar; ``options["easing"]`` as in the walk,
        ``options["size"]`` (an :class:`~engine.video.OutputSize`: resized on the engine side, default
        the model's size) and ``options["quality"]`` (1..10, MP4/WebM). The file is written under a
        temporary name: a cancel or failure leaves an existing file at ``path`` as it was."""
        session = self.session
        if session.model_id is None:
            session.show_error("Cannot export video", "Open a model first.")
            return
        opts = options or {}
        size = opts.get("size") or OutputSize()
        quality = int(opts.get("quality") or DEFAULT_QUALITY)  # type: ignore[call-overload]
        try:
            output_kind(path)
            reqs = self.export_requests(frames, loop, list(opts.get("keyframes") or []), opts.get("easing", "linear"))
        except ValueError as e:
            session.show_error("Cannot export video", str(e))
            return

        def job(model: object) -> object:
            cache = LRUCache()
            frames_ = (render(model, r, cache) for r in reqs)
            return export_job(frames_, len(reqs), path, fps, size=size, quality=quality)

        handle: list[JobHandle | None] = [None]

        def failed(result: JobResult) -> None:
            # A cancel that reached the writer first ends as ExportCancelled: a cancel too. Either way the
            # file that was at ``path`` is untouched (engine.video writes to a temporary file).
            if result.cancelled or (handle[0] is not None and handle[0].cancelled):
                session.status(f"Export cancelled; {Path(path).name} was not changed", 5000)
            else:
                session.show_error("Cannot export video", f"Could not write “{path}”.\n\n{result.error}")

        handle[0] = session.model_job(
            f"export {Path(path).name}",
            job,
            on_done=lambda _: session.status(f"Wrote {path}", 5000),
            on_error=failed,
            task=f"Exporting {Path(path).name}",
            total=len(reqs),
            current_only=False,  # the file is written whichever model is open by then
        )
        session.status(f"Exporting {Path(path).name}…", 0)

    def walk_plan(self, keyframes: list[KeyLike] | None = None) -> tuple[RenderRequest, list[Keyframe], str] | None:
        """(base request, keyframes, space) of the walk from the current latent A through seed B and
        ``keyframes``, with every other current setting (truncation, styles, noise, directions) as
        shown. A W+ keyframe (an inverted image) moves the walk into w+. ValueError when a keyframe
        does not fit the model; None without a model."""
        base, caps = self.session.request(), self.session.caps
        if base is None or caps is None:
            return None
        base = dataclasses.replace(base, edits=dataclasses.replace(base.edits, interpolation=None))
        it = self.session.params.interpolation
        a = Keyframe(seed=base.latent.seed, z=base.latent.z, ws=base.latent.ws, label="A (current latent)")
        keys = [a, Keyframe(seed=int(it.seed_b)), *as_keyframes(keyframes or [])]
        space = space_for(keys, it.space if it.space in allowed_spaces(caps, "interpolation") else "z")
        check_keyframes(keys, space, caps)
        return base, keys, space

    def export_requests(
        self, frames: int, loop: bool, keyframes: list[KeyLike] | None = None, easing: str = "linear"
    ) -> list[RenderRequest]:
        """The frames of the walk A → B → ``keyframes`` (→ A when looping); see :meth:`walk_plan`."""
        plan = self.walk_plan(keyframes)
        if plan is None:
            return []
        base, keys, space = plan
        return walk(base, keys, frames, self.session.params.interpolation.method, space, loop, easing)

    def preview_request(self) -> RenderRequest | None:
        """The walk frame the scrubber shows (None when Preview walk is off or the panel does not
        apply); ValueError when the walk cannot be built."""
        index, caps = self.preview_index(), self.session.caps if self.session is not None else None
        if index is None or caps is None or not self.applies_to(caps):
            return None
        opts = self.walk_settings()
        plan = self.walk_plan(list(opts.keyframes))
        if plan is None:
            return None
        base, keys, space = plan
        index = min(index, opts.frames - 1)
        return walk_frame(
            base, keys, opts.frames, index, self.session.params.interpolation.method, space, opts.loop, opts.easing
        )

    # --- the walk -----------------------------------------------------------------------------------
    def keyframes(self) -> list[Keyframe]:
        """The keyframes walked after B, in order."""
        return list(self.walk_keys.keys)

    def walk_settings(self) -> WalkSettings:
        """The walk as Export video… would write it."""
        return WalkSettings(
            int(self.frames.value()), self.loop.isChecked(), tuple(self.keyframes()), self.easing.currentText()
        )

    def add_keyframe(self, key: Keyframe) -> bool:
        """Append ``key`` to the walk (a gallery bookmark, the current latent, ...)."""
        return self.walk_keys.add([key])

    def current_keyframe(self) -> Keyframe:
        """The current latent as a keyframe: its seed, or the encoded z / inverted W+ latent it holds."""
        lat = self.params.latent
        if lat.ws is not None:
            return Keyframe(seed=lat.seed, ws=lat.ws, label=f"current (seed {lat.seed}, inverted)")
        if lat.z is not None:
            return Keyframe(seed=lat.seed, z=lat.z, label=f"current (seed {lat.seed}, encoded)")
        return Keyframe(seed=lat.seed)

    def preview_index(self) -> int | None:
        """The frame the canvas shows while Preview walk is on (else None)."""
        return int(self.scrub.value()) if self.preview.isChecked() else None

    def set_previewing(self, on: bool) -> None:
        """Turn the walk preview on or off (the canvas follows)."""
        set_silently(self.preview, "setChecked", on)
        self.walk_preview_changed.emit(self.preview_index())

    def _scrub_text(self) -> None:
        self.scrub_label.setText(f"{self.scrub.value() + 1}/{self.frames.value()}")

    def _scrubbed(self, _: int) -> None:
        self._scrub_text()
        if not self.preview.isChecked():
            set_silently(self.preview, "setChecked", True)
        self.walk_preview_changed.emit(self.preview_index())

    def _frames_changed(self, frames: int) -> None:
        set_silently(self.scrub, "setMaximum", max(0, frames - 1))
        self._scrub_text()
        self._walk_changed()

    def _walk_changed(self) -> None:
        if self.preview.isChecked():
            self.walk_preview_changed.emit(self.preview_index())

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.z_dim > 0

    def _t_changed(self, t: float) -> None:
        self.t_label.setText(f"{t:.2f}")
        self.emit_edit("interp_t", interpolation={"t": t}, interpolating=True)

    def set_playing(self, playing: bool) -> None:
        """Start or stop the animation of t (turns interpolation on)."""
        set_silently(self.play, "setChecked", playing)
        self.play.setText("Pause" if playing else "Play")
        if playing:
            if self.preview.isChecked():  # the animation shows the live blend, not a walk frame
                self.set_previewing(False)
            if not self.params.interpolating:
                self.emit_edit("interp_on", interpolating=True)
            self.timer.start()
        else:
            self.timer.stop()
            self.committed.emit()

    def tick(self) -> None:
        """One animation step: move t and bounce at 0 and 1 (shown, not an undo step)."""
        t = self.params.interpolation.t + self.direction * STEP
        if t >= 1.0 or t <= 0.0:
            t = min(1.0, max(0.0, t))
            self.direction = -self.direction
        self.previewed.emit({"interpolation": {"t": round(t, 6)}, "interpolating": True})

    def _make_current(self) -> None:
        p = self.params
        interpolation: dict[str, object] = {"t": 0.0}
        if p.latent.z is None:
            interpolation["seed_b"] = int(p.latent.seed)
        changes = {
            "latent": {"seed": int(p.interpolation.seed_b), "z": None, "ws": None},
            "interpolation": interpolation,
        }
        self.edited.emit("make B current", changes)
        self.committed.emit()

    def set_capabilities(self, caps: Capabilities) -> None:
        blocked = self.space.blockSignals(True)
        self.space.clear()
        for i, space in enumerate(allowed_spaces(caps, "interpolation")):
            self.space.addItem(space)
            self.space.setItemData(i, SPACE_TIPS[space], Qt.ItemDataRole.ToolTipRole)
        self.space.blockSignals(blocked)
        self.space.setEnabled(self.space.count() > 1)
        set_silently(self.preview, "setChecked", False)
        self.walk_keys.set_capabilities(caps)

    def set_params(self, params: Params) -> None:
        self.params = params
        it = params.interpolation
        set_silently(self.enabled, "setChecked", params.interpolating)
        set_silently(self.seed_b, "setValue", int(it.seed_b))
        self.t_slider.set_float(it.t)
        self.t_label.setText(f"{it.t:.2f}")
        set_silently(self.method, "setCurrentText", it.method)
        set_silently(self.space, "setCurrentText", it.space)

    def hideEvent(self, event: QHideEvent) -> None:
        if self.timer.isActive():
            self.set_playing(False)
        if self.preview.isChecked() and not event.spontaneous():  # closed: the canvas shows the latent again
            self.set_previewing(False)
        super().hideEvent(event)
