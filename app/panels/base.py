"""The common shape of a parameter panel: built from capabilities, shows Params, emits edits."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from app.params import Params
from engine.families.base import Capabilities


class ParamPanel(QWidget):
    """A panel that edits part of :class:`Params`.

    - ``edited(key, changes)``: the user changed something; ``changes`` is a dict of Params fields
      and ``key`` names the control (consecutive edits with the same key merge into one undo step).
    - ``committed()``: a continuous edit (a slider drag) ended; the next edit starts a new undo step.
    """

    edited = Signal(str, object)
    committed = Signal()
    title = ""

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        """Whether this panel has anything to show for a model with ``caps``."""
        return True

    def set_capabilities(self, caps: Capabilities) -> None:
        """Rebuild the controls for a model with ``caps``."""

    def set_params(self, params: Params) -> None:
        """Show ``params`` without emitting ``edited``."""

    def emit_edit(self, key: str, **changes: object) -> None:
        self.edited.emit(key, changes)
