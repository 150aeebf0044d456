"""Work-around for PySide6 6.12.0 on Python 3.11: it drops references to None, True and False.

Measured here (PySide6-Essentials 6.12.0, shiboken6 6.12.0, CPython 3.11.7): every call of a void method
(``QLabel.setText``, ``QPainter.drawLine``, ...) lowers ``sys.getrefcount(None)`` by one, and every
``Signal.emit()`` lowers ``sys.getrefcount(True)`` by one — the bindings treat the singletons as immortal,
which they are only from Python 3.12 on. After a few thousand calls CPython aborts with "none_dealloc" or
"bool_dealloc" (pyqtgraph makes hundreds of such calls per redraw). PySide6 6.11.3 does not have the bug.

Until the dependency is pinned below 6.12, give the three singletons the immortal-sized reference count
3.12 gives them, and only when the bug is detected at start-up, so a fixed PySide is left untouched.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

IMMORTAL_REFS = 1 << 40  # far more than a process can drop: 10^12 calls

_applied = False


class _Probe(QObject):
    fired = Signal()


def _drops_singleton_references(trials: int = 16) -> bool:
    probe = _Probe()
    none_before = sys.getrefcount(None)
    bools_before = sys.getrefcount(True) + sys.getrefcount(False)
    for _ in range(trials):
        probe.setObjectName("probe")  # a void method
        probe.fired.emit()
    dropped_none = none_before - sys.getrefcount(None)
    dropped_bools = bools_before - (sys.getrefcount(True) + sys.getrefcount(False))
    return dropped_none >= trials or dropped_bools >= trials


def apply() -> bool:
    """Make None/True/False effectively immortal if this PySide drops their references; True if done."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # immortal already (PEP 683), or not CPython's object layout
    if not _drops_singleton_references():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object (release builds).
        ctypes.c_ssize_t.from_address(id(singleton)).value += IMMORTAL_REFS
    _applied = True
    return True
