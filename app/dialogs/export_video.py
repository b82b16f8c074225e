"""Export video…: format (MP4 / GIF / WebM), output size, fps, frames, loop, easing and quality."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox, QWidget

from app.dialogs.base import OutputDialog
from app.dialogs.output_size import SizeRow
from app.settings import Settings
from engine.latent.keyframes import EASINGS
from engine.video import DEFAULT_QUALITY, OutputSize

FORMATS = {"mp4": "MP4 video (H.264)", "gif": "GIF animation", "webm": "WebM video (VP9)"}


@dataclass(frozen=True)
class VideoExport:
    """What Export video… was accepted with."""

    path: str
    size: OutputSize
    fps: int
    frames: int
    loop: bool
    easing: str
    quality: int


class ExportVideoDialog(OutputDialog):
    """The export form for the walk of a ``resolution`` px model, starting from the walk's ``frames``,
    ``loop`` and ``easing`` and the last accepted choices (format, size, fps, quality, folder)."""

    dialog_name = "export_video"
    folder_kind = "export"
    file_filter = "MP4 video (*.mp4);;GIF animation (*.gif);;WebM video (*.webm)"

    def __init__(
        self,
        settings: Settings,
        model_name: str,
        resolution: int,
        frames: int,
        loop: bool,
        easing: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Export video", settings, f"{model_name}-walk.mp4", parent)
        last = settings.choices(self.dialog_name)
        self.format_box = QComboBox()
        for key, text in FORMATS.items():
            self.format_box.addItem(text, key)
        self.form.addRow("Format", self.format_box)
        self.size_row = SizeRow(resolution)
        self.form.addRow("Size", self.size_row)
        self.fps = QSpinBox()
        self.fps.setRange(1, 120)
        self.fps.setValue(30)
        self.fps.setSuffix(" frames/s")
        self.form.addRow("Speed", self.fps)
        self.frames = QSpinBox()
        self.frames.setRange(2, 100_000)
        self.frames.setValue(frames)
        self.frames.setToolTip("Frames in the video (the walk's frame count; the scrubber follows)")
        self.form.addRow("Frames", self.frames)
        self.loop = QCheckBox("Walk back to A, so the video repeats seamlessly")
        self.loop.setChecked(loop)
        self.form.addRow("Loop", self.loop)
        self.easing = QComboBox()
        self.easing.addItems(list(EASINGS))
        self.easing.setCurrentText(easing)
        self.easing.setToolTip("linear, or smooth (slows down at each keyframe)")
        self.form.addRow("Easing", self.easing)
        self.quality = QSpinBox()
        self.quality.setRange(1, 10)
        self.quality.setValue(DEFAULT_QUALITY)
        self.quality.setToolTip("MP4 and WebM compression: 10 = best (largest file); GIF is lossless")
        self.form.addRow("Quality", self.quality)
        self.finish_form()

        i = self.format_box.findData(last.get("format"))
        if i >= 0:
            self.format_box.setCurrentIndex(i)
        self.size_row.restore(last)
        if isinstance(last.get("fps"), int):
            self.fps.setValue(last["fps"])
        if isinstance(last.get("quality"), int):
            self.quality.setValue(last["quality"])
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    @property
    def format(self) -> str:
        return str(self.format_box.currentData())

    def suffix(self) -> str:
        return "." + self.format

    def _format_changed(self) -> None:
        self.quality.setEnabled(self.format != "gif")
        self.size_row.set_even(self.format != "gif")
        self.fix_suffix()

    def remember(self) -> None:
        values = {"format": self.format, "fps": int(self.fps.value()), "quality": int(self.quality.value())}
        self.settings.set_choices(self.dialog_name, {**values, **self.size_row.choices()})

    def value(self) -> VideoExport:
        """The accepted export."""
        return VideoExport(
            self.path(),
            self.size_row.value(),
            int(self.fps.value()),
            int(self.frames.value()),
            self.loop.isChecked(),
            self.easing.currentText(),
            int(self.quality.value()),
        )
