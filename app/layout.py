"""Where the explorer's docks go: a default layout for each kind of model, and the layout the user
made of it, saved and restored per kind.

A *kind* of model is what its capabilities make of the window (:func:`layout_key`): its task and
the panels that apply to it, never its family name. Two StyleGAN2 models share a layout; a
translation model has its own, so a wide Translate column never carries over to a generator.

The default layout (:func:`apply_default_layout`) is sized from the window, so it fits a
1366×768 laptop screen as well as 1440×900 and larger ones:

- left column: Model (Features tabbed behind it), then Latent, Truncation and Progressive;
- right column: the per-layer sliders (Styles | Noise as tabs) above the image and latent tools
  (Encode | Directions | Discover, or Translate), each group as tabs;
- bottom, between the columns, under the canvas: Interpolate | Arithmetic | Gallery as tabs.

The side columns own the window's corners, so they run the full height of the window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app.docks import ROW_PX, fit_minimum, panel_of
from app.settings import Settings
from engine.families.base import Capabilities

LAYOUT_VERSION = 2
"""Bumped when the default layout changes in a way saved layouts should not survive."""

LEFT, RIGHT, BOTTOM = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                       Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip

LEFT_STACK = ("model", "latent", "truncation", "progressive", "transform")
"""The left column, top to bottom (the feature viewer is a tab behind Model)."""
RIGHT_GROUPS = (("styles", "noise"), ("encode", "directions", "discover", "translate"))
"""The right column: two groups of tabs, top and bottom."""
BOTTOM_TABS = ("interpolate", "arithmetic", "gallery")
"""The bottom row under the canvas, as tabs."""
HOME = {
    **{n: LEFT for n in (*LEFT_STACK, "features")},
    **{n: RIGHT for group in RIGHT_GROUPS for n in group},
    **{n: BOTTOM for n in BOTTOM_TABS},
}
"""Every dock's area in the default layout."""


def layout_key(caps: Capabilities, panels: Iterable[str]) -> str:
    """The kind of model a layout belongs to: its task and the (sorted) panels that apply to it."""
    names = "-".join(sorted(panels))
    return re.sub(r"[^a-z0-9-]+", "-", f"v{LAYOUT_VERSION}-{caps.task}-{names}".lower())


class LayoutStore:
    """Saved dock layouts (``QMainWindow.saveState``), one per :func:`layout_key`, in the settings."""

    GROUP = "layouts"

    def __init__(self, settings: Settings) -> None:
        self.store = settings.store

    def load(self, key: str) -> QByteArray | None:
        value = self.store.value(f"{self.GROUP}/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save(self, key: str, state: QByteArray) -> None:
        self.store.setValue(f"{self.GROUP}/{key}", state)
        self.store.remove("window/state")  # the single layout of earlier versions, shared by every model

    def keys(self) -> list[str]:
        self.store.beginGroup(self.GROUP)
        try:
            return list(self.store.childKeys())
        finally:
            self.store.endGroup()

    def clear(self) -> None:
        """Forget every saved layout (View > Reset layout)."""
        self.store.remove(self.GROUP)
        self.store.remove("window/state")


def _sizes(total: int, wanted: list[int], minima: list[int]) -> list[int]:
    """``wanted`` sizes scaled down to fit ``total`` without going under ``minima`` (the last one
    takes what is left)."""
    if not wanted:
        return []
    out = [max(w, m) for w, m in zip(wanted, minima)]
    excess = sum(out) - total
    if excess > 0:
        room = [o - m for o, m in zip(out, minima)]
        spare = sum(room)
        if spare > 0:
            out = [o - round(excess * r / spare) for o, r in zip(out, room)]
    return out


def available_size(window: QMainWindow) -> QSize:
    """The room the window's screen leaves for it (less the window frame, where there is one)."""
    screen = window.screen()
    room = screen.availableGeometry().size() if screen is not None else QSize(1 << 16, 1 << 16)
    frame = window.frameGeometry().size() - window.geometry().size()
    return QSize(room.width() - max(0, frame.width()), room.height() - max(0, frame.height()))


def apply_default_layout(
    window: QMainWindow, docks: Mapping[str, QDockWidget], shown: Iterable[str], fit: QSize | None = None
) -> None:
    """Put every dock in its default place and size for a model whose panels ``shown`` apply; the
    others are placed hidden (so View can still open them where they belong). With ``fit``, a
    window larger than that (grown to hold the docks of an earlier arrangement) shrinks to it
    first, so the default layout is made for the screen again."""
    shown = set(shown)
    window.setCorner(Qt.Corner.TopLeftCorner, LEFT)
    window.setCorner(Qt.Corner.BottomLeftCorner, LEFT)
    window.setCorner(Qt.Corner.TopRightCorner, RIGHT)
    window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
    for dock in docks.values():
        dock.setFloating(False)  # (before it leaves the window: a removed dock ignores this)
        dock.setVisible(False)  # placed hidden: the window never grows to hold an unfinished layout
        window.removeDockWidget(dock)
    if fit is not None and not (window.isMaximized() or window.isFullScreen()):
        size = window.size().boundedTo(fit)
        if size != window.size():
            window.layout().activate()  # the hidden docks' minimums no longer hold the window open
            window.resize(size)

    groups = [[n for n in g if n in shown] for g in RIGHT_GROUPS]
    if not groups[0] and len(groups[1]) > 1:  # no per-layer sliders: the first tool gets the top half
        groups = [groups[1][:1], groups[1][1:]]
    hidden_right = [n for g in RIGHT_GROUPS for n in g if n not in shown]
    columns = [
        (LEFT, [["model", "features"], *([n] for n in LEFT_STACK[1:])]),
        (RIGHT, [g for g in groups if g] + [hidden_right]),
        (BOTTOM, [sorted(BOTTOM_TABS, key=lambda n: n not in shown)]),
    ]
    # Splits first, tabs after: splitting a dock that is already a tab adds a tab instead.
    for area, stack in columns:
        heads = [docks[group[0]] for group in stack if group]
        window.addDockWidget(area, heads[0], Qt.Orientation.Vertical)
        for above, below in zip(heads, heads[1:]):
            window.splitDockWidget(above, below, Qt.Orientation.Vertical)
    for _area, stack in columns:
        for group in stack:
            for name in group[1:]:
                window.tabifyDockWidget(docks[group[0]], docks[name])
    for name, dock in docks.items():
        dock.setVisible(name in shown)
    docks["model"].raise_()
    for group in (*groups, [n for n in BOTTOM_TABS if n in shown]):
        if group:
            docks[group[0]].raise_()
    size_default_layout(window, docks, shown, groups)


def size_default_layout(
    window: QMainWindow, docks: Mapping[str, QDockWidget], shown: set[str], groups: list[list[str]]
) -> None:
    """Column widths from the window's width; heights from what each panel holds."""
    width, height = max(window.width(), 800), max(window.height(), 560)
    body = height - window.menuBar().sizeHint().height() - window.statusBar().sizeHint().height()
    left_w = min(320, max(250, round(width * 0.19)))
    right_w = min(440, max(340, round(width * 0.26)))
    window.resizeDocks([docks["model"]], [left_w], Qt.Orientation.Horizontal)
    right = [docks[g[0]] for g in groups if g]
    if right:
        right_w = max([right_w, *(d.minimumSizeHint().width() for d in right)])
        window.resizeDocks(right[:1], [right_w], Qt.Orientation.Horizontal)

    title = 24  # a dock's title bar (and a tab bar) over its panel
    left = [n for n in LEFT_STACK if n in shown]
    if len(left) > 1:
        natural = [panel_of(docks[n]).sizeHint().height() + title for n in left[1:]]
        model = max(220, body - sum(natural))
        minima = [docks[n].minimumSizeHint().height() for n in left]
        window.resizeDocks([docks[n] for n in left], _sizes(body, [model, *natural], minima), Qt.Orientation.Vertical)
    if len(right) > 1:
        rows = max((len(getattr(panel_of(docks[n]), "rows", ())) for n in groups[0]), default=0)
        if rows:  # per-layer sliders: room for every row up to 60% of the column
            top = min((rows + 4) * ROW_PX + 2 * title, round(body * 0.6))
        else:
            top = max(panel_of(docks[n]).sizeHint().height() for n in groups[0]) + 2 * title
        minima = [d.minimumSizeHint().height() for d in right]
        window.resizeDocks(right, _sizes(body, [top, body - top], minima), Qt.Orientation.Vertical)
    bottom = [n for n in BOTTOM_TABS if n in shown]
    if bottom:
        natural = max(panel_of(docks[n]).sizeHint().height() for n in bottom) + 2 * title
        window.resizeDocks([docks[bottom[0]]], [min(natural, round(body * 0.4))], Qt.Orientation.Vertical)


class DockLayout:
    """The window's docks, laid out per kind of model: :meth:`switch` saves the layout of the kind
    shown so far and restores the new kind's saved layout (else its default), :meth:`save` keeps
    the current one, :meth:`reset` forgets them all and lays the current kind out anew.

    ``features`` is the feature viewer's dock: it stays hidden until its panel has the model's
    layers (:meth:`features_ready`), then shows where the layout put it, unless the user closed it.
    """

    def __init__(self, window: QMainWindow, docks: Mapping[str, QDockWidget], settings: Settings) -> None:
        self.window = window
        self.docks = docks
        self.store = LayoutStore(settings)
        self.key: str | None = None
        self.shown: set[str] = set()
        self.features_wanted = True
        self.restored = False
        """Whether the current layout came from the settings (not the default)."""

    def switch(self, caps: Capabilities, shown: Iterable[str]) -> None:
        """Lay the docks out for a model with ``caps`` whose panels ``shown`` apply."""
        self.save()
        self.shown = set(shown)
        self.key = layout_key(caps, self.shown)
        for dock in self.docks.values():
            fit_minimum(dock)
        for name, dock in self.docks.items():
            if name not in self.shown:
                dock.setVisible(False)
        state = self.store.load(self.key)
        self.restored = state is not None and bool(self.window.restoreState(state, LAYOUT_VERSION))
        if self.restored:
            for name, dock in self.docks.items():
                if name not in self.shown and name != "features":
                    dock.setVisible(False)
            self.features_wanted = not self.docks["features"].isHidden()
        else:
            apply_default_layout(self.window, self.docks, self.shown)
            self.features_wanted = True
        self.docks["features"].setVisible(False)

    def features_ready(self) -> None:
        """The feature viewer has layers: show its dock where the layout puts it."""
        if self.features_wanted:
            self.docks["features"].setVisible(True)
            if not self.restored and not self.docks["model"].isHidden():
                self.docks["model"].raise_()  # the viewer waits behind Model until its tab is picked

    def save(self) -> None:
        """Keep the current layout for the current kind of model."""
        if self.key is not None:
            features = self.docks["features"]
            if features.isHidden() and self.features_wanted:
                # not shown yet (no layers): it is still where the layout put it
                features.setVisible(True)
                state = self.window.saveState(LAYOUT_VERSION)
                features.setVisible(False)
            else:
                state = self.window.saveState(LAYOUT_VERSION)
            self.store.save(self.key, state)

    def reset(self) -> None:
        """Forget every saved layout and lay the current kind out by default (on a window that fits
        its screen again: docks moved into one column can have grown it past the screen)."""
        self.store.clear()
        if self.key is not None:
            features_shown = not self.docks["features"].isHidden()
            apply_default_layout(self.window, self.docks, self.shown, fit=available_size(self.window))
            self.restored = False
            self.features_wanted = True
            self.docks["features"].setVisible(False)
            if features_shown:
                self.features_ready()
            # Laid out anew over a layout the user made, the tab bars can stay hidden (seen under
            # X11); the same layout restored from its saved state shows them.
            self.window.restoreState(self.window.saveState(LAYOUT_VERSION), LAYOUT_VERSION)
