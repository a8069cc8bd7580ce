"""PyInstaller start-up hook: numba compiles the kernels into the user's cache folder.

The bundle may be read-only, and numba's default cache sits beside the sources (``__pycache__`` inside
the bundle). Before anything imports numba (it reads ``NUMBA_CACHE_DIR`` once, on import), set that
variable to ``rnnsim.paths.user_numba_cache_dir()`` unless the user set it. ``rnnsim/paths.py`` is loaded
from its file: importing the ``rnnsim`` package would import numba first.
"""


def _point_numba_at_the_user_cache():
    import importlib.util
    import os
    import sys

    spec = importlib.util.spec_from_file_location("_rnnsim_bundle_paths",
                                                  os.path.join(sys._MEIPASS, "rnnsim", "paths.py"))
    paths = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(paths)
    paths.use_user_numba_cache()


_point_numba_at_the_user_cache()
del _point_numba_at_the_user_cache
