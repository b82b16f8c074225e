"""The main window's menus: File (open, train, recent models, save image/grid, export video, quit),
Edit (undo/redo in words, random seed), View (scaling, the docks, Reset layout) and Help."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from app.help import add_help_menu
from app.session import short_name


def _action(window: Any, menu: QMenu, text: str, slot: Any, shortcut: Any = None, **kwargs: Any) -> QAction:
    action = QAction(text, window, **kwargs)
    if shortcut is not None:
        action.setShortcut(shortcut)
    (action.toggled if action.isCheckable() else action.triggered).connect(slot)
    menu.addAction(action)
    return action


def build_menus(self: Any, scaling_text: dict[str, str]) -> None:
    """The window's File, Edit, View and Help menus; their actions become attributes of ``self`` (the
    main window), as the tests and the shortcuts table name them."""
    keys = QKeySequence.StandardKey
    file_menu = self.menuBar().addMenu("&File")
    self.open_action = _action(self, file_menu, "&Open model…", self.open_model_dialog, keys.Open)
    self.train_action = _action(self, file_menu, "&Train…", self.show_train_window)
    self.recent_menu = QMenu("Recent &models", self)
    self.recent_menu.aboutToShow.connect(lambda: _fill_recent_menu(self))
    file_menu.addMenu(self.recent_menu)
    self.save_action = _action(self, file_menu, "&Save image…", self.exports.save_image_dialog, keys.Save)
    self.save_grid_action = _action(self, file_menu, "Save &grid…", self.exports.save_grid_dialog)
    self.export_action = _action(self, file_menu, "&Export video…", self.interpolate_panel.export_dialog)
    file_menu.addSeparator()
    self.quit_action = _action(self, file_menu, "&Quit", self.close, keys.Quit)
    self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

    edit_menu = self.menuBar().addMenu("&Edit")
    self.undo_action = self.session.undo_stack.createUndoAction(self, "&Undo")
    self.undo_action.setShortcut(keys.Undo)
    self.redo_action = self.session.undo_stack.createRedoAction(self, "&Redo")
    self.redo_action.setShortcut(keys.Redo)
    edit_menu.addAction(self.undo_action)
    edit_menu.addAction(self.redo_action)
    edit_menu.addSeparator()
    seed = self.latent_panel.randomise.click
    self.random_seed_action = _action(self, edit_menu, "Random &seed", seed, QKeySequence("Ctrl+R"))

    view_menu = self.menuBar().addMenu("&View")
    scaling_menu = view_menu.addMenu("&Scaling")
    group = QActionGroup(self)
    self.scaling_actions: dict[str, QAction] = {}
    for mode, text in scaling_text.items():
        act = _action(self, scaling_menu, text, lambda on, m=mode: on and self.set_scaling(m), checkable=True)
        group.addAction(act)
        self.scaling_actions[mode] = act
    self.scaling_actions[self.settings.scaling].setChecked(True)
    view_menu.addSeparator()
    for dock in self.docks.values():
        view_menu.addAction(dock.toggleViewAction())
    view_menu.addSeparator()
    self.reset_layout_action = _action(self, view_menu, "&Reset layout", self.reset_layout)
    self.help_actions = add_help_menu(self)


def _fill_recent_menu(self: Any) -> None:
    self.recent_menu.clear()
    recent = self.settings.recent()
    for source in recent:
        act = self.recent_menu.addAction(short_name(source))
        act.setToolTip(source)
        act.triggered.connect(lambda _=False, s=source: self.open_model(s))
    if not recent:
        self.recent_menu.addAction("(none)").setEnabled(False)
    else:
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear recent", lambda: _clear_recent(self))


def _clear_recent(self: Any) -> None:
    self.settings.clear_recent()
    self.model_panel.set_recent([])
