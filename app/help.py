"""The Help menu: the keyboard shortcuts (read from the window's own menus, so the list is never out
of date) and the README's section on using the explorer, shown in a dialog (offline)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

README = Path(__file__).resolve().parent.parent / "README.md"
GUIDE_SECTION = "## Using the explorer"
EXTRA_SHORTCUTS = (
    ("PgUp / PgDn, ↑ / ↓", "Step through seeds (in a seed box)"),
    ("Ctrl+V", "Paste an image to translate (Translate panel)"),
    ("Drop a file", "A checkpoint opens it; an image is encoded, inverted or translated"),
)
"""Keys that are not menu entries."""


def menu_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every menu entry of ``window`` with a shortcut, in menu order."""
    out: list[tuple[str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            text = action.text().replace("&", "").rstrip("…").strip()
            if action.menu() is not None:
                walk(action.menu(), f"{path} › {text}")
            elif not action.isSeparator() and not action.shortcut().isEmpty():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                out.append((keys, f"{path} › {text}"))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), top.text().replace("&", ""))
    return out


def all_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """The menu shortcuts, then the keys that are not menu entries."""
    return [*menu_shortcuts(window), *EXTRA_SHORTCUTS]


def guide_text(readme: Path = README) -> str | None:
    """The README's section on using the explorer (Markdown), or None without a README."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return None
    start = text.find(GUIDE_SECTION)
    if start < 0:
        return None
    end = text.find("\n## ", start + len(GUIDE_SECTION))
    return text[start : end if end >= 0 else len(text)].strip()


class ShortcutsDialog(QDialog):
    """A table of the keyboard shortcuts."""

    def __init__(self, shortcuts: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        lay = QVBoxLayout(self)
        self.table = QTableWidget(len(shortcuts), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "What they do"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, what) in enumerate(shortcuts):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(560, 420)


class GuideDialog(QDialog):
    """The README's section on the explorer, with a link to the whole README."""

    def __init__(self, markdown: str, readme: Path = README, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Using the explorer")
        lay = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._open_link)
        self.browser.setMarkdown(
            markdown + f"\n\n[Open the whole README]({QUrl.fromLocalFile(str(readme)).toString()})"
        )
        lay.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(720, 560)

    @staticmethod
    def _open_link(url: QUrl) -> None:
        QDesktopServices.openUrl(url)


def add_help_menu(window: QMainWindow) -> dict[str, QAction]:
    """Help > Keyboard shortcuts (F1) and Help > Using the explorer (the README's section; left out
    when the README is not installed). Returns the actions by name."""
    menu = window.menuBar().addMenu("&Help")
    actions: dict[str, QAction] = {}

    def show_shortcuts() -> None:
        ShortcutsDialog(all_shortcuts(window), window).open()

    actions["shortcuts"] = menu.addAction("&Keyboard shortcuts…", show_shortcuts)
    actions["shortcuts"].setShortcut(QKeySequence(Qt.Key.Key_F1))
    if guide_text() is not None:

        def show_guide() -> None:
            GuideDialog(guide_text() or "", README, window).open()

        actions["guide"] = menu.addAction("&Using the explorer…", show_guide)
    return actions
