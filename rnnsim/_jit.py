"""The single place where the project's numba flags live.

Every kernel uses the same flags: the on-disk cache ignores ``nogil`` in its key, so mixing
flag sets between dispatchers of one function would share (and confuse) cache entries.
``error_model="numpy"`` drops Python's division-by-zero checks so loops stay tight.
"""
import numba

kernel = numba.njit(cache=True, nogil=True, error_model="numpy")
