"""The single place where the project's numba flags live.

Every kernel uses the same flags: the on-disk cache ignores ``nogil`` in its key, so mixing
flag sets between dispatchers of one function would share (and confuse) cache entries.
``error_model="numpy"`` drops Python's division-by-zero checks so loops stay tight;
``fastmath={"contract"}`` only lets LLVM fuse a·b + c into one FMA (no reassociation, and
NaN/inf keep their meaning), which is what lets the activation loops vectorise.
"""
import numba

kernel = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
