"""Undo/redo of parameter edits: one QUndoCommand per edit, merged while one control keeps moving.

Each command is named in words a person uses (Edit > "Undo style mix, layer 3"), from the key of
the control that made it (:func:`describe_edit`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from app.params import Params

WORDS = {
    "seed": "seed",
    "class": "class",
    "psi": "truncation ψ",
    "cutoff": "truncation cutoff",
    "mix_seed": "mix seed",
    "mix_space": "mix space",
    "reset styles": "reset style mix",
    "noise_mode": "noise mode",
    "noise_seed": "new noise",
    "noise_strength": "noise strength",
    "reset noise": "reset noise layers",
    "interp_on": "blend toward B",
    "interp_seed": "seed B",
    "interp_t": "blend position t",
    "interp_method": "interpolation method",
    "interp_space": "interpolation space",
    "make B current": "make B current",
    "arith_on": "arithmetic",
    "arith_seeds": "arithmetic seeds",
    "arith_weights": "arithmetic weights",
    "arith_space": "arithmetic space",
    "level": "progressive level",
    "alpha": "progressive fade-in α",
    "new directions": "new directions",
    "reset found directions": "reset discovered directions",
    "reset directions": "reset principal directions",
    "attribute": "attribute vector",
    "attr_strength": "attribute strength",
    "encode image": "encode image",
    "invert image": "invert image",
    "forget image": "forget image",
}
"""Control keys (``ParamPanel.emit_edit``) in words."""

PATTERNS = (
    (re.compile(r"style(\d+)"), lambda m: f"style mix, layer {m[1]}"),
    (re.compile(r"noise(\d+)"), lambda m: f"noise strength, layer {m[1]}"),
    (re.compile(r"found(\d+)"), lambda m: f"discovered direction {int(m[1]) + 1}"),
    (re.compile(r"direction(\d+)"), lambda m: f"principal direction {int(m[1]) + 1}"),
    (re.compile(r"preset (\w+)"), lambda m: f"{m[1]} styles from the mix seed"),
    (re.compile(r"bookmark (.+)"), lambda m: f"go to bookmark {m[1]}"),
)
"""Keys with a number or a name in them."""

VALUES: dict[str, Callable[[Params], object]] = {
    "seed": lambda p: p.latent.seed,
    "mix_seed": lambda p: p.mix.seed,
    "interp_seed": lambda p: p.interpolation.seed_b,
    "psi": lambda p: f"{p.truncation.psi:.2f}",
}
"""Keys whose command names the value before and after (``seed 3 → 17``)."""


def describe_edit(key: str, before: Params | None = None, after: Params | None = None) -> str:
    """An edit of control ``key`` in words, e.g. ``style mix, layer 3`` or ``seed 3 → 17``."""
    words = WORDS.get(key)
    if words is None:
        for pattern, name in PATTERNS:
            m = pattern.fullmatch(key)
            if m:
                words = name(m)
                break
        else:
            words = key.replace("_", " ")
    value = VALUES.get(key)
    if value is not None and before is not None and after is not None:
        words += f" {value(before)} → {value(after)}"
    return words


PARAM_COMMAND_ID = 0x4C4C  # all parameter edits share one id; mergeWith decides by control key
MERGE_WINDOW_S = 1.5


class ParamCommand(QUndoCommand):
    """Switch the window's parameters from ``before`` to ``after``.

    Consecutive edits of the same control (``key``) merge into one step — a slider drag is one
    undo step — until the command is ``sealed`` (slider released) or ``MERGE_WINDOW_S`` passes.
    """

    def __init__(self, apply: Callable[[Params], None], before: Params, after: Params, key: str) -> None:
        super().__init__(describe_edit(key, before, after))
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
        self.setText(describe_edit(self.key, self.before, self.after))
        if self.after == self.before:
            self.setObsolete(True)
        return True
