"""Keep freed memory in the process, so a training step does not page-fault its arrays back in.

A forward + backward pass allocates tens of megabytes of temporaries, (T, B, gates·hidden) each,
and frees them at its end. glibc's malloc serves blocks above 128 KiB with fresh ``mmap`` calls
and hands freed memory straight back to the kernel (``munmap`` / heap trimming), so the next step
touches brand-new pages: ~7 000 page faults per step at (hidden 128, T 50, batch 64), which made a
GRU step 1.2–1.5× slower (bench/bench_speed.py; measured with ``getrusage`` minor faults).

:func:`keep_freed_memory` raises the two thresholds with ``mallopt``: blocks up to 32 MiB come
from the heap and up to 256 MiB of freed heap stay mapped for the next step. The process's
memory then stays near its peak working set instead of shrinking between steps. It is called
when the engine first computes, applies to the whole process (like the single-threaded BLAS
setting of :mod:`rnnsim.parallel`), and does nothing off glibc or with ``RNNSIM_KEEP_MEMORY=0``.
"""
from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: largest block served from the heap (glibc's own ceiling for this setting on 64-bit)
HEAP_BLOCK_LIMIT = 32 * 2**20
#: freed memory at the top of a heap kept mapped before it is returned to the kernel
KEPT_FREE = 256 * 2**20

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; True if they are in effect."""
    global _applied
    if _applied is None:
        _applied = False
        if os.environ.get("RNNSIM_KEEP_MEMORY", "1") != "0" and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL(None)
                _applied = bool(libc.mallopt(M_MMAP_THRESHOLD, HEAP_BLOCK_LIMIT)
                                and libc.mallopt(M_TRIM_THRESHOLD, KEPT_FREE))
            except (OSError, AttributeError):
                _applied = False
    return _applied
