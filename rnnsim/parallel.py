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
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

#: below this many gate evaluations per sequence step × batch, one thread is faster
MIN_PARALLEL_WORK = 150_000
MIN_CHUNK = 4

_lock = threading.Lock()
_users = 0
_saved = None
_libraries = None
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


def _blas_libraries():
    global _libraries
    if _libraries is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba's np.dot calls: load it now)
            from threadpoolctl import ThreadpoolController
            _libraries = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
        except ImportError:
            _libraries = []
    return _libraries


@contextmanager
def single_threaded_blas():
    """Every BLAS library at one thread while the engine computes; restored when the last user leaves."""
    global _users, _saved
    with _lock:
        if _users == 0:
            libs = _blas_libraries()
            _saved = [lib.num_threads for lib in libs]
            for lib in libs:
                lib.set_num_threads(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for lib, n in zip(_blas_libraries(), _saved):
                    lib.set_num_threads(n)
