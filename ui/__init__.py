"""The rnnsim desktop app (PySide6 + pyqtgraph). The engine package ``rnnsim`` never imports this.

Importing ``ui`` first guards against a reference-counting bug measured with PySide6/shiboken6
6.12.0 on Python 3.11: every call of a C++ method that returns nothing (``update()``,
``setPen()``, ``processEvents()`` …) hands Python a ``None`` without its reference, so ``None``'s
reference count drains by one per call until CPython aborts with "Fatal Python error:
none_dealloc" — after a few dozen debugger steps. From Python 3.12 on ``None`` is immortal and the
bug is harmless. The guard probes for the drain and, only when it is there, gives ``None`` a
reserve of references large enough never to run out (2⁴⁰ calls) — and ``True``/``False`` too: the
same build was measured to abort at interpreter exit with "bool_dealloc" after a long session.
"""
from __future__ import annotations

import sys

NONE_RESERVE = 1 << 40


def _guard_none_refcount() -> bool:
    """Return True when the drain was found and the reserve added."""
    if sys.version_info >= (3, 12) or not hasattr(sys, "getrefcount"):
        return False
    try:
        from PySide6.QtCore import QObject
    except ImportError:
        return False
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    drained = before - sys.getrefcount(None)
    if drained < 32:
        return False
    import ctypes
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += NONE_RESERVE   # ob_refcnt is the first field
    return True


NONE_GUARDED = _guard_none_refcount()
