"""The explorer's output dialogs: Export video…, Save image… and Save grid…, each remembering its last
choices and folder (:class:`app.settings.Settings`)."""

from app.dialogs.export_video import ExportVideoDialog, VideoExport
from app.dialogs.output_size import SizeRow
from app.dialogs.save_image import GridSave, ImageSave, SaveGridDialog, SaveImageDialog

__all__ = [
    "ExportVideoDialog",
    "GridSave",
    "ImageSave",
    "SaveGridDialog",
    "SaveImageDialog",
    "SizeRow",
    "VideoExport",
]
