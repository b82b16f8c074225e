"""A guard against a reference-counting bug of PySide6/shiboken6 6.12 on Python 3.11.

There, every call of a Qt method that returns nothing (``QPainter.drawLine``, ``QLabel.setText``...)
hands Python ``None`` without the reference it owes, so ``None``'s count falls by one per call and the
interpreter aborts ("none_dealloc: deallocating None") after some tens of thousands of calls — minutes
of live plotting. ``True``/``False`` lose references on some paths too (seen as "bool_dealloc" after a
pyqtgraph session). Python 3.12 made these singletons immortal, which hides the bug. The guard measures
the loss once and, when present, gives ``None``, ``True`` and ``False`` counts so large that they
cannot reach zero (what 3.12 does).
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)
_checked = False
PROBE_CALLS = 64
PAD = 1 << 40


def none_refs_lost_per_call() -> float:
    """References to ``None`` lost per void Qt call (0 on a correct binding)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("probe")
    return (before - sys.getrefcount(None)) / PROBE_CALLS


def guard_none_refcount() -> bool:
    """Apply the guard once per process if the binding leaks; returns whether it was applied now."""
    global _checked
    if _checked or sys.version_info >= (3, 12):
        return False
    _checked = True
    lost = none_refs_lost_per_call()
    if lost < 0.5:
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += PAD  # ob_refcnt: the first field of an object
    log.info("PySide6 drops a reference to None per void call (%.2f/call); None/True/False padded", lost)
    return True
