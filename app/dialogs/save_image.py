"""Save image… (the frame on the canvas) and Save grid… (N seeds with the current settings): output size,
and a PNG that records how to reproduce it (:mod:`engine.image_info`)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QSpinBox, QWidget

from app.dialogs.base import OutputDialog
from app.dialogs.output_size import SizeRow
from app.settings import Settings
from app.widgets import seed_spin
from engine.api import MAX_SEED
from engine.grid import grid_shape
from engine.video import OutputSize


@dataclass(frozen=True)
class ImageSave:
    """What Save image… was accepted with."""

    path: str
    size: OutputSize


@dataclass(frozen=True)
class GridSave:
    """What Save grid… was accepted with: ``seeds`` in order, ``columns`` per row, each tile at ``size``."""

    path: str
    size: OutputSize
    seeds: tuple[int, ...]
    columns: int


class SaveImageDialog(OutputDialog):
    """Save the ``shape`` = (height, width) frame of a ``resolution`` px model as a PNG."""

    dialog_name = "save_image"
    file_filter = "PNG image (*.png)"

    def __init__(
        self,
        settings: Settings,
        file_name: str,
        resolution: int,
        shape: tuple[int, int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Save image", settings, file_name, parent)
        self.size_row = SizeRow(resolution)
        self.size_row.set_frame_shape(*shape)
        self.size_row.restore(settings.choices(self.dialog_name))
        self.form.addRow("Size", self.size_row)
        self.finish_form()

    def remember(self) -> None:
        self.settings.set_choices(self.dialog_name, self.size_row.choices())

    def value(self) -> ImageSave:
        return ImageSave(self.path(), self.size_row.value())


class SaveGridDialog(OutputDialog):
    """Save a grid of N seeds from ``first_seed`` (with every other current setting) as a PNG."""

    dialog_name = "save_grid"
    file_filter = "PNG image (*.png)"

    def __init__(
        self, settings: Settings, model_name: str, resolution: int, first_seed: int, parent: QWidget | None = None
    ) -> None:
        super().__init__("Save grid", settings, f"{model_name}-grid.png", parent)
        last = settings.choices(self.dialog_name)
        self.first = seed_spin()
        self.first.setValue(first_seed)
        self.first.setToolTip("The first seed; the grid shows this seed and the ones after it")
        self.form.addRow("First seed", self.first)
        self.count = QSpinBox()
        self.count.setRange(1, 1024)
        self.count.setValue(int(last.get("count", 16)) if isinstance(last.get("count"), int) else 16)
        self.form.addRow("Seeds", self.count)
        self.columns = QSpinBox()
        self.columns.setRange(0, 64)
        self.columns.setSpecialValueText("auto")
        self.columns.setValue(int(last.get("columns", 0)) if isinstance(last.get("columns"), int) else 0)
        self.columns.setToolTip("Images per row (auto: a square-ish grid)")
        self.form.addRow("Columns", self.columns)
        self.size_row = SizeRow(resolution)
        self.size_row.restore({"size": "1", **last})
        self.form.addRow("Each image", self.size_row)
        self.finish_form()

    def remember(self) -> None:
        values = {"count": int(self.count.value()), "columns": int(self.columns.value())}
        self.settings.set_choices(self.dialog_name, {**values, **self.size_row.choices()})

    def value(self) -> GridSave:
        n = int(self.count.value())
        first = min(int(self.first.value()), MAX_SEED - n + 1)  # every seed in range
        cols = grid_shape(n, int(self.columns.value()) or None)[1]
        return GridSave(self.path(), self.size_row.value(), tuple(range(first, first + n)), cols)
