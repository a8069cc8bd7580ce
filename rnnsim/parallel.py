"""How the engine uses the machine's cores.

Measured on 2 cores (docs/pitfalls.md and bench/): a multi-threaded BLAS is slower, not faster,
for the small matrix products inside the time loop — at (hidden 128, T 50, batch 64) an LSTM
step ran 3.2× faster with one BLAS thread — and collapses when another busy thread (a redrawing
GUI) competes for the cores. So while the engine computes, every BLAS library runs one thread,
and the engine itself spreads the work: a large batch is cut into chunks that run the whole
network at once on a pool of threads (the kernels release the GIL), and their gradients are
summed. Small problems run in one chunk, where thread hand-offs would cost more than they save.
"""
from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

#: below this many gate evaluations per sequence step × batch, one thread is faster
MIN_PARALLEL_WORK = 150_000
MIN_CHUNK = 4

_lock = threading.Lock()
_users = 0
_libraries = None
_scanned_with_scipy = False
_limited: list = []          # (library, its thread count before) that single_threaded_blas set to one thread
_pool = None


def workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def chunk_count(batch: int, steps: int, gate_units: int, layers: int) -> int:
    """How many batch chunks to run side by side for one forward + backward pass."""
    work = batch * steps * gate_units * layers
    if workers() == 1 or work < MIN_PARALLEL_WORK:
        return 1
    return max(1, min(workers(), batch // MIN_CHUNK))


def map_chunks(fn, items):
    """[fn(item) for item in items], on the engine's thread pool when there is more than one."""
    global _pool
    if len(items) == 1:
        return [fn(items[0])]
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="rnnsim")
    return list(_pool.map(fn, items))


def _blas_libraries(with_scipy: bool = True):
    """The BLAS libraries loaded in this process (threadpoolctl); ``with_scipy`` first loads SciPy's, the one
    numba's ``np.dot`` calls. Scanned again once SciPy's has been loaded since the last scan."""
    global _libraries, _scanned_with_scipy
    scipy_loaded = "scipy.linalg.cython_blas" in sys.modules
    if with_scipy and not scipy_loaded:
        try:
            import scipy.linalg.cython_blas  # noqa: F401
            scipy_loaded = True
        except ImportError:
            pass
    if _libraries is None or scipy_loaded != _scanned_with_scipy:
        try:
            from threadpoolctl import ThreadpoolController
            _libraries = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
        except ImportError:
            _libraries = []
        _scanned_with_scipy = scipy_loaded
    return _libraries


@contextmanager
def single_threaded_blas(with_scipy: bool = True):
    """Every BLAS library at one thread while the engine computes; restored when the last user leaves.

    ``with_scipy=False`` (the Tape's recorder: numpy only, no compiled kernel) spares SciPy's import, ~0.3 s of
    the app's first Tape: numpy's BLAS alone is limited then, SciPy's too when it is loaded already."""
    global _users
    with _lock:
        limited = {lib.filepath for lib, _ in _limited}
        for lib in _blas_libraries(with_scipy):      # SciPy's may join while a recorder holds numpy's
            if lib.filepath not in limited:
                _limited.append((lib, lib.num_threads))
                lib.set_num_threads(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for lib, threads in _limited:
                    lib.set_num_threads(threads)
                _limited.clear()
