"""Undo/redo of parameter edits: one QUndoCommand per edit, merged while one control keeps moving."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from app.params import Params

PARAM_COMMAND_ID = 0x4C4C  # all parameter edits share one id; mergeWith decides by control key
MERGE_WINDOW_S = 1.5


class ParamCommand(QUndoCommand):
    """Switch the window's parameters from ``before`` to ``after``.

    Consecutive edits of the same control (``key``) merge into one step — a slider drag is one
    undo step — until the command is ``sealed`` (slider released) or ``MERGE_WINDOW_S`` passes.
    """

    def __init__(self, apply: Callable[[Params], None], before: Params, after: Params, key: str) -> None:
        super().__init__(f"change {key}")
        self.apply = apply
        self.before = before
        self.after = after
        self.key = key
        self.sealed = False
        self.stamp = time.monotonic()

    def id(self) -> int:
        return PARAM_COMMAND_ID

    def redo(self) -> None:
        self.apply(self.after)

    def undo(self) -> None:
        self.apply(self.before)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, ParamCommand)
            or other.key != self.key
            or self.sealed
            or other.stamp - self.stamp > MERGE_WINDOW_S
        ):
            return False
        self.after = other.after
        self.stamp = other.stamp
        if self.after == self.before:
            self.setObsolete(True)
        return True
