"""The explorer's status bar: messages, the progress and Cancel of long tasks (loads, exports), the
model's name and resolution, and the render time and frame rate."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

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

    def show_timing(self, ms: float, fps: float) -> None:
        """The smoothed render time and frame rate."""
        self.ms_label.setText(f"{ms:.1f} ms")
        self.fps_label.setText(f"{fps:.1f} frames/s")

    def _model_changed(self, model: OpenModel) -> None:
        self.model_label.setText(model.name)
        self.resolution_label.setText(f"{model.caps.resolution}×{model.caps.resolution}")
        self.ms_label.setText("")
        self.fps_label.setText("")

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
