"""The explorer's status bar: messages, the progress and Cancel of long tasks (loads, exports), the
model's name and resolution (and the resolution actually rendered when it differs), and the rolling
render time and frame rate of :mod:`app.frame_stats`."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from app.frame_stats import FrameTiming
from app.session import OpenModel, Session, Task
from engine.api import JobProgress


class StatusBar(QStatusBar):
    """Shows what a :class:`Session` reports (:meth:`bind`) and the frame loop's timing (:meth:`show_timing`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Session | None = None
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop loading or exporting")
        self.model_label = QLabel("no model")
        self.resolution_label = QLabel("")
        self.ms_label = QLabel("")
        self.fps_label = QLabel("")
        for w in (self.progress, self.cancel_button):
            self.addPermanentWidget(w)
            w.hide()
        for w in (self.model_label, self.resolution_label, self.ms_label, self.fps_label):
            w.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(w)

    def bind(self, session: Session) -> None:
        """Show ``session``'s messages, tasks and model; Cancel cancels its tasks."""
        self.session = session
        self.cancel_button.clicked.connect(session.cancel_tasks)
        session.message.connect(self.showMessage)
        session.task_started.connect(self._task_started)
        session.task_progress.connect(self._task_progress)
        session.task_ended.connect(self._task_ended)
        session.model_changed.connect(self._model_changed)

    def show_timing(self, timing: FrameTiming) -> None:
        """The rolling render time and frame rate (blank when unknown) and the size of the frame
        actually rendered next to the model's resolution when they differ (e.g. a PGGAN level)."""
        self.ms_label.setText("" if timing.render_ms is None else f"{timing.render_ms:.1f} ms")
        self.ms_label.setToolTip("Median render time of the recent frames" if timing.render_ms is not None else "")
        self.fps_label.setText("" if timing.fps is None else f"{timing.fps:.1f} frames/s")
        self.fps_label.setToolTip("Frames shown per second while the picture changes" if timing.fps else "")
        self._show_resolution(timing.rendered, timing.model_resolution)

    def _show_resolution(self, rendered: tuple[int, int] | None, model_resolution: int) -> None:
        r = model_resolution
        if rendered is None or not r or rendered == (r, r):
            self.resolution_label.setText(f"{r}×{r}" if r else "")
            self.resolution_label.setToolTip("The model's resolution" if r else "")
            return
        w, h = rendered
        self.resolution_label.setText(f"{w}×{h} of {r}×{r}")
        self.resolution_label.setToolTip(f"The frame on the canvas was rendered at {w}×{h}; the model's is {r}×{r}")

    def _model_changed(self, model: OpenModel) -> None:
        self.model_label.setText(model.name)
        self.show_timing(FrameTiming(model_resolution=model.caps.resolution))

    def _task_started(self, task: Task) -> None:
        self.progress.setRange(0, task.total)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()

    def _task_progress(self, progress: JobProgress) -> None:
        if progress.total > 0:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        if progress.message:
            self.showMessage(progress.message)

    def _task_ended(self, _task: Task) -> None:
        if self.session is not None and not self.session.tasks:
            self.progress.hide()
            self.cancel_button.hide()
