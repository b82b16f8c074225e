"""What the output dialogs share: a file row (name + Browse…, starting in the last-used folder) and
OK / Cancel that asks before replacing an existing file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.settings import Settings


class OutputDialog(QDialog):
    """A form (``self.form``) above a file row and OK / Cancel. Subclasses fill the form, name the
    file filter (:attr:`file_filter`), keep the suffix right (:meth:`suffix`) and remember their choices
    in :meth:`remember`, called on accept with the folder."""

    file_filter = "All files (*)"
    dialog_name = "output"
    folder_kind = "save"

    def __init__(self, title: str, settings: Settings, file_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.settings = settings
        self.form = QFormLayout(self)
        self.path_edit = QLineEdit(str(Path(settings.folder(self.folder_kind)) / file_name))
        self.path_edit.setToolTip("Where the file is written (it is written under a temporary name, then renamed)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        self._path_row = QHBoxLayout()
        self._path_row.addWidget(self.path_edit, 1)
        self._path_row.addWidget(browse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.confirm_replace = True
        """Ask before replacing an existing file (tests turn it off)."""

    def finish_form(self) -> None:
        """Add the file row and the buttons below the subclass's fields."""
        self.form.addRow("Save as", self._path_row)
        self.form.addRow(self.buttons)

    def suffix(self) -> str:
        """The file suffix the current choices call for (e.g. ".mp4")."""
        return ".png"

    def path(self) -> str:
        """The output path, with the suffix the choices call for."""
        text = self.path_edit.text().strip()
        if not text:
            return ""
        p = Path(text).expanduser()
        return str(p if p.suffix.lower() == self.suffix() else p.with_suffix(self.suffix()))

    def fix_suffix(self) -> None:
        """Show the path with the right suffix (after the format changed)."""
        if self.path_edit.text().strip():
            self.path_edit.setText(self.path())

    def browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.windowTitle(), self.path() or "", self.file_filter)
        if path:
            self.path_edit.setText(path)
            self.fix_suffix()

    def accept(self) -> None:
        path = self.path()
        if not path:
            QMessageBox.warning(self, self.windowTitle(), "Choose a file name.")
            return
        if not Path(path).parent.is_dir():
            QMessageBox.warning(self, self.windowTitle(), f"The folder “{Path(path).parent}” does not exist.")
            return
        if self.confirm_replace and Path(path).exists():
            answer = QMessageBox.question(self, self.windowTitle(), f"“{Path(path).name}” exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.path_edit.setText(path)
        self.settings.set_folder(self.folder_kind, path)
        self.remember()
        super().accept()

    def remember(self) -> None:
        """Save the dialog's choices (``Settings.set_choices``)."""
