"""Docks of the explorer: each panel in a scrollable dock that never shrinks below what the panel
needs to be usable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

from app.widgets import ROW_PX

__all__ = ["ROW_PX", "fit_minimum", "make_dock", "panel_of", "usable_height"]


def make_dock(window: QMainWindow, panel: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
    """``panel`` (with a ``title``) in a movable, floatable, closable dock of ``window``."""
    dock = QDockWidget(panel.title, window)  # type: ignore[attr-defined]
    dock.setObjectName(f"dock-{panel.title.lower()}")  # type: ignore[attr-defined]
    # A scroll area lets a dock shrink below its panel's height, so the window fits a laptop screen
    # with every dock open; a panel taller than its dock scrolls instead of being cut off, and
    # never shrinks below its usable minimum (see fit_minimum).
    scroll = QScrollArea(dock)
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    dock.setWidget(scroll)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    window.addDockWidget(area, dock)
    fit_minimum(dock)
    return dock


def panel_of(dock: QDockWidget) -> QWidget:
    """The panel inside a dock made by :func:`make_dock`."""
    return dock.widget().widget()  # type: ignore[union-attr]


def usable_height(panel: QWidget) -> int:
    """The least height at which ``panel`` is still usable: its whole minimum size, or less for a
    panel that declares ``min_visible_height`` (the rest scrolls)."""
    full = panel.minimumSizeHint().height()
    cap = getattr(panel, "min_visible_height", None)
    return full if cap is None else min(full, int(cap))


def fit_minimum(dock: QDockWidget) -> None:
    """Set the dock's minimum size from its panel (call again after the panel is rebuilt): no
    restored layout and no splitter drag can crush a panel below :func:`usable_height`."""
    scroll = dock.widget()
    panel = panel_of(dock)
    bar = scroll.verticalScrollBar().sizeHint().width()  # type: ignore[union-attr]
    scroll.setMinimumWidth(panel.minimumSizeHint().width() + bar)
    scroll.setMinimumHeight(usable_height(panel))
